import assert from "node:assert/strict";
import { join } from "node:path";
import { initRepo, withTempDir } from "@creditlab/core/testing";
import { gitCommit } from "./git.ts";

Deno.test("gitCommit: short and full hashes, +dirty for changes outside exclude", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await gitCommit({ cwd: dir }), "unknown", "not a checkout");
    await initRepo(dir, { "reports/lines.jsonl": "{}\n", "a.ts": "export const a = 1;\n" });
    const short = await gitCommit({ cwd: dir });
    assert.match(short, /^[0-9a-f]{12}$/);
    const full = await gitCommit({ cwd: dir, hash: "full" });
    assert.match(full, /^[0-9a-f]{40}$/);
    assert.ok(full.startsWith(short));
    // An appended results file marks the tree dirty unless excluded.
    await Deno.writeTextFile(join(dir, "reports", "lines.jsonl"), "{}\n{}\n");
    assert.equal(await gitCommit({ cwd: dir }), `${short}+dirty`);
    const exclude = ["reports/lines.jsonl"];
    assert.equal(await gitCommit({ cwd: dir, exclude }), short);
    assert.equal(await gitCommit({ cwd: dir, exclude: [join(dir, "reports/lines.jsonl")] }), short);
    // A results file outside the checkout (e.g. `sweep --results /elsewhere/x.jsonl`) is no
    // pathspec git accepts; it is ignored, and the commit is still known.
    const outside = [...exclude, join(dir, "..", "elsewhere.jsonl")];
    assert.equal(await gitCommit({ cwd: dir, exclude: outside }), short);
    // Changed code, or a new untracked file, is dirty whatever is excluded.
    await Deno.writeTextFile(join(dir, "b.ts"), "export const b = 1;\n");
    assert.equal(await gitCommit({ cwd: dir, exclude }), `${short}+dirty`);
    await Deno.remove(join(dir, "b.ts"));
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 2;\n");
    assert.equal(await gitCommit({ cwd: dir, exclude }), `${short}+dirty`);
  }, { prefix: "creditlab-gitcommit-" });
});
