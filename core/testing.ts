/**
 * Helpers shared by the tests of every package: `@creditlab/core/testing` (not part of
 * mod.ts; nothing outside tests imports it).
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Assert that `a` is a number within `tol` of `b`; the message names `what` and both values.
 *
 * @example
 * ```ts
 * import { assertClose } from "./testing.ts";
 * assertClose(0.1 + 0.2, 0.3, 1e-12, "sum");
 * ```
 */
export function assertClose(
  a: number | null | undefined,
  b: number,
  tol: number,
  what = "",
): void {
  assert.ok(typeof a === "number" && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

/**
 * Run `fn` with a fresh temporary directory, then remove the directory and everything in it,
 * whether `fn` returns or throws. Returns what `fn` returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withTempDir } from "./testing.ts";
 * const used = await withTempDir(async (dir) => {
 *   await Deno.writeTextFile(`${dir}/a.txt`, "a");
 *   return dir;
 * }, { prefix: "example_" });
 * await assert.rejects(Deno.stat(used), Deno.errors.NotFound);
 * ```
 */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
  opts: Deno.MakeTempOptions = {},
): Promise<T> {
  const dir = await Deno.makeTempDir(opts);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Make `dir` a git checkout with one commit holding `files` (path relative to `dir` -> text;
 * folders are created). A failing git command fails with git's message.
 *
 * @example
 * ```ts
 * import { initRepo, withTempDir } from "./testing.ts";
 * await withTempDir((dir) => initRepo(dir, { "a/b.txt": "b\n" }));
 * ```
 */
export async function initRepo(dir: string, files: Record<string, string>): Promise<void> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  };
  await git("init", "-q");
  for (const [path, text] of Object.entries(files)) {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(`${dir}/${path.slice(0, slash)}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, text);
  }
  await git("add", ".");
  await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init");
}

/**
 * Run `fn` with environment variable `name` set to `value` (or unset when undefined), then put
 * back what it was, whether `fn` returns or throws. Returns what `fn` returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withEnv } from "./testing.ts";
 * await withEnv("CREDITLAB_EXAMPLE", "1", () => {
 *   assert.equal(Deno.env.get("CREDITLAB_EXAMPLE"), "1");
 *   return Promise.resolve();
 * });
 * assert.equal(Deno.env.get("CREDITLAB_EXAMPLE"), undefined);
 * ```
 */
export async function withEnv<T>(
  name: string,
  value: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const old = Deno.env.get(name);
  const put = (v: string | undefined) =>
    v === undefined ? Deno.env.delete(name) : Deno.env.set(name, v);
  put(value);
  try {
    return await fn();
  } finally {
    put(old);
  }
}

/**
 * Run `fn` with `console.log` and `console.error` captured (restored afterwards, also on a
 * throw): its result and the printed lines joined by newlines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { captureConsole } from "./testing.ts";
 * const r = await captureConsole(() => {
 *   console.log("a", 1);
 *   console.error("b");
 *   return Promise.resolve(7);
 * });
 * assert.deepEqual(r, { out: 7, text: "a 1\nb" });
 * ```
 */
export async function captureConsole<T>(
  fn: () => Promise<T>,
): Promise<{ out: T; text: string }> {
  const lines: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { out: await fn(), text: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = err;
  }
}
