/**
 * The lines of `deno task sweep` (cli/sweep.ts) as the reports read them: one JSON object per
 * line and seed, `{date, commit, machine, backend, label, settings: {preset, regime, sftSeed?,
 * method, methodConfig, n, sft, rl}, seed, worlds: {in: {before, after, ...}, ood: {...}},
 * trainReward, regimeMeasures, finalKl, jobs?, seconds}`, appended to `reports/sweeps/<name>.jsonl`.
 *
 * A strict parser ({@link parseSweepLines}): a line that is not JSON, or lacks a field the report
 * reads, or holds one of the wrong type, is an error naming the file, the line and the field
 * (`sweeps/alpha.jsonl:3: settings.n: expected a positive integer, got "300"`). cli/sweep_results.ts
 * has its own, looser reader for `--table`; it cannot be imported from here (the CLI sits on top
 * of the reports package), so this one keeps its error style.
 *
 * @module
 */
import { isJsonObject, type JsonObject } from "@creditlab/core";

/** One world of a sweep line: held-out EM of the warm start (`before`) and after RL. */
export interface SweepWorld {
  before: number;
  after: number;
}

/** The settings of a sweep line, as far as the report groups by them. */
export interface SweepLineSettings {
  preset: string;
  /** Regime of the RL and held-out questions ("mixed" where an older line has none). */
  regime: string;
  /** Seed of the one warm start every seed started from; null: each seed its own (older lines). */
  sftSeed: number | null;
  method: string;
  methodConfig: Record<string, unknown>;
  /** Held-out questions per world. */
  n: number;
  sft: Record<string, unknown>;
  rl: Record<string, unknown>;
}

/** One parsed sweep line: one seed of one sweep row. */
export interface SweepLine {
  /** The file it came from (its name in the sweeps folder) and its 1-based line number. */
  file: string;
  line: number;
  commit: string;
  backend: string;
  /** The sweep's `--label`, or null when it was run without one. */
  label: string | null;
  seed: number;
  settings: SweepLineSettings;
  worlds: { in: SweepWorld; ood: SweepWorld };
}

function shown(v: unknown): string {
  const s = v === undefined ? "nothing" : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads the fields of one line, throwing `where: field: expected ..., got ...`. */
class Fields {
  constructor(readonly where: string) {}
  fail(field: string, expected: string, got: unknown): never {
    throw new Error(`${this.where}: ${field}: expected ${expected}, got ${shown(got)}`);
  }
  obj(o: JsonObject, key: string, path: string): JsonObject {
    const v = o[key];
    return isJsonObject(v) ? v : this.fail(path, "an object", v);
  }
  str(o: JsonObject, key: string, path: string): string {
    const v = o[key];
    return typeof v === "string" ? v : this.fail(path, "a string", v);
  }
  posInt(o: JsonObject, key: string, path: string): number {
    const v = o[key];
    return Number.isInteger(v) && (v as number) > 0
      ? v as number
      : this.fail(path, "a positive integer", v);
  }
  fraction(o: JsonObject, key: string, path: string): number {
    const v = o[key];
    return typeof v === "number" && v >= 0 && v <= 1 ? v : this.fail(path, "a number in [0, 1]", v);
  }
}

function world(f: Fields, worlds: JsonObject, key: "in" | "ood"): SweepWorld {
  const w = f.obj(worlds, key, `worlds.${key}`);
  return {
    before: f.fraction(w, "before", `worlds.${key}.before`),
    after: f.fraction(w, "after", `worlds.${key}.after`),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseLine(text: string, where: string): Omit<SweepLine, "file" | "line"> {
  const f = new Fields(where);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(raw)) return f.fail("(line)", "a JSON object", raw);
  const s = f.obj(raw, "settings", "settings");
  const label = raw["label"];
  if (label !== undefined && label !== null && typeof label !== "string") {
    f.fail("label", "a string or null", label);
  }
  const regime = s["regime"] === undefined ? "mixed" : f.str(s, "regime", "settings.regime");
  const worlds = f.obj(raw, "worlds", "worlds");
  return {
    commit: f.str(raw, "commit", "commit"),
    backend: f.str(raw, "backend", "backend"),
    label: typeof label === "string" ? label : null,
    seed: f.posInt(raw, "seed", "seed"),
    settings: {
      preset: f.str(s, "preset", "settings.preset"),
      regime,
      sftSeed: s["sftSeed"] === undefined ? null : f.posInt(s, "sftSeed", "settings.sftSeed"),
      method: f.str(s, "method", "settings.method"),
      methodConfig: f.obj(s, "methodConfig", "settings.methodConfig"),
      n: f.posInt(s, "n", "settings.n"),
      sft: f.obj(s, "sft", "settings.sft"),
      rl: f.obj(s, "rl", "settings.rl"),
    },
    worlds: { in: world(f, worlds, "in"), ood: world(f, worlds, "ood") },
  };
}

/**
 * Parse the text of a sweep results file: one {@link SweepLine} per non-blank line. `file` is
 * recorded in each line; `path` (default `file`) names the file in errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = JSON.stringify({
 *   commit: "abc", backend: "wasm", label: "factor 1", seed: 2,
 *   settings: { preset: "smoke", method: "alpha", methodConfig: {}, n: 300, sft: {}, rl: {} },
 *   worlds: { in: { before: 0.5, after: 0.52 }, ood: { before: 0.4, after: 0.4 } },
 * });
 * const [l] = parseSweepLines(line + "\n", { file: "alpha.jsonl" });
 * assert.deepEqual([l!.line, l!.settings.regime, l!.settings.sftSeed], [1, "mixed", null]);
 * assert.throws(() => parseSweepLines(line.replace('"n":300', '"n":"300"'), { file: "x.jsonl" }),
 *   /^Error: x\.jsonl:1: settings\.n: expected a positive integer, got "300"$/);
 * ```
 */
export function parseSweepLines(
  text: string,
  opts: { file: string; path?: string },
): SweepLine[] {
  const path = opts.path ?? opts.file;
  const lines = text.split("\n");
  const out: SweepLine[] = [];
  lines.forEach((t, i) => {
    if (t.trim() === "") return;
    const unterminated = i === lines.length - 1;
    // A last line without its newline that is not JSON yet is one a running sweep is still
    // writing: left out, so a report made meanwhile (e.g. at the end of reproduce) goes on.
    if (unterminated && !isJson(t)) return;
    out.push({ file: opts.file, line: i + 1, ...parseLine(t, `${path}:${i + 1}`) });
  });
  return out;
}

/** The sweep lines of a folder ({@link readSweepFolder}). */
export interface SweepFolder {
  /** The `*.jsonl` files read, by name, sorted. */
  files: string[];
  /** Their lines, file by file, in file order. */
  lines: SweepLine[];
}

/**
 * Read every `*.jsonl` file of a folder (e.g. `reports/sweeps`), sorted by name; null when the
 * folder does not exist. A malformed line throws (file:line: field).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readSweepFolder(`${dir}/sweeps`), null); // no folder: no sweeps
 * await Deno.mkdir(`${dir}/sweeps`);
 * assert.deepEqual(await readSweepFolder(`${dir}/sweeps`), { files: [], lines: [] });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSweepFolder(dir: string): Promise<SweepFolder | null> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".jsonl")) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  names.sort();
  const lines: SweepLine[] = [];
  for (const name of names) {
    const text = await Deno.readTextFile(`${dir}/${name}`);
    lines.push(...parseSweepLines(text, { file: name, path: `${dir}/${name}` }));
  }
  return { files: names, lines };
}
