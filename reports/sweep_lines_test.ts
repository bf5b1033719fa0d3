import assert from "node:assert/strict";
import { withTempDir } from "@creditlab/core/testing";
import { parseSweepLines, readSweepFolder } from "./sweep_lines.ts";
import { sweepLineText, sweepSettingsFixture } from "./sweeps_testing.ts";

const good = sweepLineText({
  label: "factor 1",
  method: "alpha",
  methodConfig: { shaping: { factor: 1 } },
  seed: 2,
  after: { in: 0.52, ood: 0.41 },
});

/** `good` with one field replaced (by its JSON text), as line 2 after a good line 1. */
function withField(from: string, to: string): string {
  assert.ok(good.includes(from), from);
  return `${good}\n${good.replace(from, to)}\n`;
}

Deno.test("sweep lines: the fields the report reads, older lines' defaults", () => {
  const [l] = parseSweepLines(`${good}\n\n`, { file: "alpha.jsonl" });
  assert.deepEqual(l, {
    file: "alpha.jsonl",
    line: 1,
    commit: "c0ffee",
    backend: "wasm",
    label: "factor 1",
    seed: 2,
    settings: sweepSettingsFixture({
      method: "alpha",
      methodConfig: { shaping: { factor: 1 } },
    }),
    worlds: { in: { before: 0.5, after: 0.52 }, ood: { before: 0.4, after: 0.41 } },
  });
  // Older lines: no regime (mixed), no sftSeed (each seed its own warm start); a null label.
  const old = good.replace(`"regime":"mixed",`, "").replace(`"sftSeed":1,`, "")
    .replace(`"label":"factor 1"`, `"label":null`);
  const [o] = parseSweepLines(old, { file: "smoke.jsonl" });
  assert.deepEqual([o!.settings.regime, o!.settings.sftSeed, o!.label], ["mixed", null, null]);
});

Deno.test("sweep lines: a malformed line is an error naming file:line and the field", () => {
  const cases: [string, string, string][] = [
    [`"n":300`, `"n":"300"`, `settings.n: expected a positive integer, got "300"`],
    [`"seed":2`, `"seed":0`, `seed: expected a positive integer, got 0`],
    [`"after":0.41`, `"after":"0.41"`, `worlds.ood.after: expected a number in [0, 1], got "0.41"`],
    [`"before":0.5`, `"before":50`, `worlds.in.before: expected a number in [0, 1], got 50`],
    [`"method":"alpha"`, `"method":7`, `settings.method: expected a string, got 7`],
    [`"label":"factor 1"`, `"label":1`, `label: expected a string or null, got 1`],
    [`"sftSeed":1`, `"sftSeed":1.5`, `settings.sftSeed: expected a positive integer, got 1.5`],
    [`"regime":"mixed"`, `"regime":null`, `settings.regime: expected a string, got null`],
    [`"commit":"c0ffee"`, `"commitx":"c0ffee"`, `commit: expected a string, got nothing`],
    [
      `"methodConfig":{"shaping":{"factor":1}}`,
      `"methodConfig":[1]`,
      `settings.methodConfig: expected an object, got [1]`,
    ],
  ];
  for (const [from, to, msg] of cases) {
    assert.throws(
      () =>
        parseSweepLines(withField(from, to), { file: "alpha.jsonl", path: "sweeps/alpha.jsonl" }),
      (e: Error) => {
        assert.equal(e.message, `sweeps/alpha.jsonl:2: ${msg}`);
        return true;
      },
    );
  }
  assert.throws(
    () => parseSweepLines(`${good}\n{"seed": 1,\n`, { file: "x.jsonl" }),
    /^Error: x\.jsonl:2: not JSON \(/,
  );
  assert.throws(
    () => parseSweepLines(`[1]\n`, { file: "x.jsonl" }),
    /x\.jsonl:1: \(line\): expected a JSON object/,
  );
  // A last line without its newline that is not JSON: a line a running sweep is still writing,
  // left out; a complete one counts.
  assert.equal(parseSweepLines(`${good}\n${good.slice(0, 40)}`, { file: "x.jsonl" }).length, 1);
  assert.equal(parseSweepLines(`${good}\n${good}`, { file: "x.jsonl" }).length, 2);
});

Deno.test("sweep lines: a folder's *.jsonl files, sorted; no folder: null; errors name the path", async () => {
  await withTempDir(async (root) => {
    const dir = `${root}/sweeps`;
    assert.equal(await readSweepFolder(dir), null);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/b.jsonl`, `${good}\n${good}\n`);
    await Deno.writeTextFile(`${dir}/a.jsonl`, `${good}\n`);
    await Deno.writeTextFile(`${dir}/notes.md`, `not a sweep file`);
    const f = await readSweepFolder(dir);
    assert.deepEqual(f!.files, ["a.jsonl", "b.jsonl"]);
    assert.deepEqual(f!.lines.map((l) => `${l.file}:${l.line}`), [
      "a.jsonl:1",
      "b.jsonl:1",
      "b.jsonl:2",
    ]);
    await Deno.writeTextFile(`${dir}/c.jsonl`, withField(`"n":300`, `"n":-1`));
    await assert.rejects(
      readSweepFolder(dir),
      new Error(`${dir}/c.jsonl:2: settings.n: expected a positive integer, got -1`),
    );
  }, { prefix: "sweep_lines_" });
});
