/**
 * The README's "Add a method" example is code a newcomer copies, so it must compile and do what it
 * says. This test takes the `ts` block out of README.md, points its imports at this checkout,
 * type-checks it with the workspace's compiler options and runs it in a child process (so the
 * method it registers stays out of this process's registry): registered under its name, its
 * advantages are GRPO's times its `scale`, and a bad config is refused naming the field.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The README's one `ts` block, with its imports resolved against this checkout. */
async function readmeExample(): Promise<string> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, "README.md: expected exactly one ```ts block (Add a method)");
  const code = blocks[0]!;
  assert.match(code, /^\/\/ methods\/(\S+)\/mod\.ts\n/, "README.md: the block names its file");
  const root = new URL("../", import.meta.url).href;
  return code
    .replaceAll('"@creditlab/train"', JSON.stringify(`${root}train/mod.ts`))
    .replaceAll('"../grpo/', JSON.stringify(`${root}methods/grpo/`).slice(0, -1));
}

const DRIVER = `
import { getMethod } from "ROOT/train/mod.ts";
import { grpo } from "ROOT/methods/grpo/mod.ts";
import { advantagesOf, batchOf, contextOf, groupOf } from "ROOT/methods/testing.ts";
import "./example.ts";
const m = getMethod("scaled");
const batch = batchOf([
  ...groupOf(0, [{ reward: 1, rounds: [{ policy: "<answer> a </answer>" }] },
    { reward: 0, rounds: [{ policy: "<answer> b c </answer>" }] }]),
  ...groupOf(1, [{ reward: 0, rounds: [{ policy: "<answer> d </answer>" }] },
    { reward: 1, rounds: [{ policy: "<answer> e </answer>" }] },
    { reward: 1, rounds: [{ policy: "<answer> f </answer>" }] }]),
]);
const ours = await m.step(batch, contextOf(m.defaults));
const base = await advantagesOf(grpo, batch, contextOf(grpo.defaults));
let bad = "";
try { await m.step(batch, contextOf({ ...m.defaults, clipLow: -1 })); } catch (e) { bad = String(e); }
console.log(JSON.stringify({
  name: m.name,
  scale: m.defaults.scale,
  advantages: [...ours.advantages],
  grpo: [...base],
  metrics: ours.metrics,
  bad,
}));
`;

Deno.test("README: the Add a method example type-checks, registers and scales GRPO", async () => {
  const dir = await Deno.makeTempDir({ prefix: "readme-example-" });
  try {
    await Deno.writeTextFile(join(dir, "example.ts"), await readmeExample());
    const root = new URL("../", import.meta.url).href.replace(/\/$/, "");
    await Deno.writeTextFile(join(dir, "driver.ts"), DRIVER.replaceAll("ROOT", root));
    const config = join(ROOT, "deno.json");
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
        .output();
    const check = await run(["check", "--quiet", "--config", config, join(dir, "example.ts")]);
    assert.ok(check.success, new TextDecoder().decode(check.stderr));
    const out = await run(["run", "-A", "--quiet", "--config", config, join(dir, "driver.ts")]);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(r.name, "scaled");
    assert.equal(r.scale, 0.5);
    assert.equal(r.advantages.length, r.grpo.length);
    assert.ok(r.grpo.some((a: number) => a !== 0), "GRPO gives this batch nonzero advantages");
    r.grpo.forEach((a: number, i: number) => assert.equal(r.advantages[i], Math.fround(a * 0.5)));
    assert.equal(r.metrics["scaled/scale"], 0.5);
    assert.match(r.bad, /scaled config: field "clipLow"/, "the example's config check runs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
