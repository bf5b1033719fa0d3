/**
 * The run configs of an experiment split into the part they share and, per run, what it sets
 * otherwise ({@link splitConfigs}), so a report prints the shared config once and under each run
 * only its own fields.
 *
 * @module
 */
import { isJsonObject } from "@creditlab/core";

/**
 * One field where a config differs from the shared part: its dotted path (`rl.rollout.topK`;
 * a key that is not an identifier is quoted, `a["b.c"]`; `""` is the whole config) and the
 * config's value there, or `absent: true` where the config lacks a field of the shared part.
 */
export type ConfigDifference =
  | { path: string; value: unknown }
  | { path: string; absent: true };

/** What {@link splitConfigs} returns. */
export interface ConfigSplit {
  /**
   * The shared config: the fields (leaves) that more than half of the configs hold, all with the
   * same value, in the objects more than half of them hold; `undefined` when there is none (no
   * configs, or whole configs that are not objects and differ).
   */
  common: unknown;
  /** Per config, in the order given: its fields that are not the shared part's, in key order. */
  differences: ConfigDifference[][];
}

/** A config that lacks the node: said where the node is in the shared part. */
const MISSING = Symbol("missing");
/** A config that lacks the node's parent, already said there: never said again. */
const COVERED = Symbol("covered");

function lacks(v: unknown): boolean {
  return v === MISSING || v === COVERED;
}

/** Structural equality of JSON values: arrays element by element, objects key by key. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((x, i) => same(x, b[i]));
  }
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length &&
    ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function dotted(path: readonly string[]): string {
  return path.map((k, i) => IDENT.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`)
    .join("");
}

/**
 * Every field (leaf) of a config with its dotted path, in key order: an empty object and an
 * array are leaves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(configFields({ rl: { steps: 10, seeds: [1, 2] } }), [
 *   { path: "rl.steps", value: 10 },
 *   { path: "rl.seeds", value: [1, 2] },
 * ]);
 * ```
 */
export function configFields(config: unknown): { path: string; value: unknown }[] {
  const out: ConfigDifference[] = [];
  leaves(config, [], out);
  return out as { path: string; value: unknown }[];
}

function leaves(v: unknown, path: string[], out: ConfigDifference[]): void {
  const keys = isJsonObject(v) ? Object.keys(v) : [];
  if (keys.length === 0) out.push({ path: dotted(path), value: v });
  else for (const k of keys) leaves((v as Record<string, unknown>)[k], [...path, k], out);
}

/**
 * The node at `path` of every config (`MISSING`/`COVERED` where one lacks it): its shared value,
 * or `undefined` when it is not shared; each config's differences are appended to `diffs`.
 */
function walk(slots: readonly unknown[], path: string[], diffs: ConfigDifference[][]): unknown {
  const held = slots.flatMap((v, i) => (lacks(v) ? [] : [i]));
  const majority = held.length * 2 > slots.length;
  const objects = held.every((i) => isJsonObject(slots[i]));
  const first = slots[held[0]!];
  const shared = majority && (objects || held.every((i) => same(slots[i], first)));
  if (!shared) {
    for (const i of held) leaves(slots[i], path, diffs[i]!);
    return undefined;
  }
  slots.forEach((v, i) => {
    if (v === MISSING) diffs[i]!.push({ path: dotted(path), absent: true });
  });
  if (!objects) return first;
  const keys = new Set(held.flatMap((i) => Object.keys(slots[i] as Record<string, unknown>)));
  const entries: [string, unknown][] = [];
  for (const k of keys) {
    const child = slots.map((v) =>
      lacks(v)
        ? COVERED
        : Object.hasOwn(v as object, k)
        ? (v as Record<string, unknown>)[k]
        : MISSING
    );
    const c = walk(child, [...path, k], diffs);
    if (c !== undefined) entries.push([k, c]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a key.
  return Object.fromEntries(entries);
}

/**
 * Splits configs (JSON values, e.g. the runs' `config`) into the part they share and what each
 * sets otherwise. A field (a leaf: a number, string, boolean, null, array — arrays are compared
 * whole — or empty object) is shared when more than half of the configs hold it, all with the
 * same value; an object, when more than half of the configs hold it. The shared part is those
 * objects with those fields, keys in the order first met.
 * Each config's differences are its fields that are not shared (value given) and the shared
 * fields it lacks (`absent`, once at the highest object it lacks). So a config is the shared
 * part with its differences applied, and fields that most configs lack are listed only under
 * the configs that hold them.
 *
 * @example Three runs: one warm start without `rl`, two RL runs with their own `alpha`
 * ```ts
 * import { differenceText, splitConfigs } from "./config_split.ts";
 * import assert from "node:assert/strict";
 *
 * const s = splitConfigs([
 *   { regime: "mixed", ckpt: "sft.bin" },
 *   { regime: "mixed", rl: { steps: 10, lrs: [1, 2] }, alpha: 0.3 },
 *   { regime: "mixed", rl: { steps: 10, lrs: [1, 2] }, alpha: 0.1 },
 * ]);
 * assert.deepEqual(s.common, { regime: "mixed", rl: { steps: 10, lrs: [1, 2] } });
 * assert.deepEqual(s.differences, [
 *   [{ path: "ckpt", value: "sft.bin" }, { path: "rl", absent: true }],
 *   [{ path: "alpha", value: 0.3 }],
 *   [{ path: "alpha", value: 0.1 }],
 * ]);
 * assert.equal(s.differences[0]!.map(differenceText).join(", "), 'ckpt: "sft.bin", rl: (absent)');
 * ```
 */
export function splitConfigs(configs: readonly unknown[]): ConfigSplit {
  const differences: ConfigDifference[][] = configs.map(() => []);
  if (configs.length === 0) return { common: undefined, differences };
  const slots = configs.map((c) => (c === undefined ? MISSING : c));
  return { common: walk(slots, [], differences), differences };
}

/** A difference as text: `rl.steps: 10` (the value as JSON), `rl: (absent)`. */
export function differenceText(d: ConfigDifference): string {
  const path = d.path === "" ? "(whole config)" : d.path;
  return "absent" in d ? `${path}: (absent)` : `${path}: ${JSON.stringify(d.value)}`;
}
