import assert from "node:assert/strict";
import { join } from "node:path";
import { benchCommit } from "./commit.ts";

Deno.test("benchCommit: a changed result file is not dirty, any other change is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "creditlab-benchcommit-" });
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  try {
    assert.equal(await benchCommit({ cwd: dir }), "unknown");
    await git("init", "-q");
    await Deno.mkdir(join(dir, "bench", "results"), { recursive: true });
    await Deno.writeTextFile(join(dir, "bench", "results", "kernels.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 1;\n");
    await git("add", ".");
    await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init");
    const clean = await benchCommit({ cwd: dir });
    assert.match(clean, /^[0-9a-f]{40}$/);
    await Deno.writeTextFile(join(dir, "bench", "results", "kernels.json"), '{"x":1}\n');
    assert.equal(await benchCommit({ cwd: dir }), clean);
    await Deno.writeTextFile(join(dir, "a.ts"), "export const a = 2;\n");
    assert.equal(await benchCommit({ cwd: dir }), `${clean}+dirty`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
