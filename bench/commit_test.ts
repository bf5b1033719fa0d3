import assert from "node:assert/strict";
import { join } from "node:path";
import { initRepo, withTempDir } from "@creditlab/core/testing";
import { benchCommit } from "./commit.ts";

Deno.test("benchCommit: a changed result file is not dirty, any other change is", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await benchCommit({ cwd: dir }), "unknown");
    await initRepo(dir, {
      "bench/results/kernels.json": "{}\n",
      "a.ts": "export const a = 1;\n",
    });
    const clean = await benchCommit({ cwd: dir });
    assert.match(clean, /^[0-9a-f]{40}$/);
    await Deno.writeTextFile(join(dir, "bench", "results", "kernels.json"), '{"x":1}\n');
    assert.equal(await benchCommit({ cwd: dir }), clean);
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 2;\n");
    assert.equal(await benchCommit({ cwd: dir }), `${clean}+dirty`);
  }, { prefix: "creditlab-benchcommit-" });
});
