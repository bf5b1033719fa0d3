/**
 * The package rules of DESIGN.md section 1 that a refactor can break without any other test
 * noticing: a method never imports another method except the baseline `grpo` it extends (shared
 * method code lives in `methods/*.ts`, outside every method's folder), and `core` is a leaf.
 * The imports are read from the source text (static `from "..."` and `import("...")`).
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(p);
    else if (e.isFile && e.name.endsWith(".ts")) yield p;
  }
}

/** The module specifiers a file imports or re-exports. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"([^"]+)"/g)) out.push(m[1]!);
  return out;
}

/** The method folder (`methods/<name>/`) a path lies in, or null for shared method code. */
function methodOf(path: string): string | null {
  const parts = relative(join(ROOT, "methods"), path).split("/");
  return parts.length > 1 && !parts[0]!.startsWith("..") ? parts[0]! : null;
}

Deno.test("architecture: a method imports no other method but grpo", async () => {
  const offences: string[] = [];
  let files = 0;
  for await (const file of tsFiles(join(ROOT, "methods"))) {
    const own = methodOf(file);
    if (own === null) continue;
    files++;
    for (const spec of specifiers(await Deno.readTextFile(file))) {
      if (spec === "@creditlab/methods") offences.push(`${relative(ROOT, file)} -> ${spec}`);
      if (!spec.startsWith(".")) continue;
      const target = methodOf(resolve(join(file, ".."), spec));
      if (target !== null && target !== own && target !== "grpo") {
        offences.push(`${relative(ROOT, file)} -> ${spec}`);
      }
    }
  }
  assert.ok(files > 100, `read ${files} files in method folders`);
  assert.deepEqual(offences, [], "move the shared code into methods/*.ts");
});

Deno.test("architecture: core imports no other package", async () => {
  const offences: string[] = [];
  for await (const file of tsFiles(join(ROOT, "core"))) {
    for (const spec of specifiers(await Deno.readTextFile(file))) {
      const outside = spec.startsWith(".") &&
        relative(join(ROOT, "core"), resolve(join(file, ".."), spec)).startsWith("..");
      if (spec.startsWith("@creditlab/") && !spec.startsWith("@creditlab/core") || outside) {
        offences.push(`${relative(ROOT, file)} -> ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

Deno.test("architecture: the import reader sees the forms the rules rely on", () => {
  const text = [
    'import { a } from "../igpo/mod.ts";',
    'import type { B } from "@creditlab/train";',
    'export { c } from "./credit.ts";',
    'const m = await import("../pure/mod.ts");',
  ].join("\n");
  assert.deepEqual(specifiers(text), [
    "../igpo/mod.ts",
    "@creditlab/train",
    "./credit.ts",
    "../pure/mod.ts",
  ]);
  assert.equal(methodOf(join(ROOT, "methods/igpo/mod.ts")), "igpo");
  assert.equal(methodOf(join(ROOT, "methods/policy_scoring.ts")), null);
});
