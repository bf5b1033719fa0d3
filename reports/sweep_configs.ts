/**
 * Sweep configs compared field by field: their leaves by dotted path, the fields they differ in,
 * and the one numeric field a dose-response runs along (reports/sweeps_section.ts).
 *
 * @module
 */

import { canonicalJson, isJsonObject } from "@creditlab/core";

/** A JSON object (not an array, not null). */
/**
 * The leaves of a config by dotted path, in key order (arrays and empty objects are leaves).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = flattenConfig({ klCoef: 0.001, shaping: { factor: 0.1, reach: { kind: "all" } } });
 * assert.deepEqual([...f], [["klCoef", 0.001], ["shaping.factor", 0.1], ["shaping.reach.kind", "all"]]);
 * ```
 */
export function flattenConfig(config: unknown, prefix = ""): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, path: string) => {
    if (isJsonObject(v) && Object.keys(v).length > 0) {
      for (const k of Object.keys(v)) walk(v[k], path ? `${path}.${k}` : k);
    } else out.set(path, v);
  };
  walk(config, prefix);
  return out;
}

/**
 * The config fields (dotted paths, in order first met) whose value differs between the configs
 * that set them; with `absentDiffers`, a field some configs lack also differs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = { lr: 1, f: { on: true, share: 1 } }, b = { lr: 1, f: { on: false } };
 * assert.deepEqual(differingFields([a, b]), ["f.on"]);
 * assert.deepEqual(differingFields([a, b], { absentDiffers: true }), ["f.on", "f.share"]);
 * ```
 */
export function differingFields(
  configs: readonly unknown[],
  opts: { absentDiffers?: boolean } = {},
): string[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  return paths.filter((p) => {
    const held = flat.filter((f) => f.has(p));
    if (opts.absentDiffers && held.length < flat.length) return true;
    return new Set(held.map((f) => canonicalJson(f.get(p)))).size > 1;
  });
}

/**
 * The one numeric field that configs differ in: exactly one field differs between them (a field
 * some lack counts), every config sets it to a finite number, the values are distinct, and there
 * are at least two configs. Null otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = (factor: number) => ({ klCoef: 0.001, shaping: { factor } });
 * assert.equal(singleNumericField([c(0.1), c(0.5), c(1)]), "shaping.factor");
 * assert.equal(singleNumericField([c(0.1), { ...c(1), klCoef: 0 }]), null); // two fields
 * ```
 */
export function singleNumericField(configs: readonly unknown[]): string | null {
  if (configs.length < 2) return null;
  const fields = differingFields(configs, { absentDiffers: true });
  if (fields.length !== 1) return null;
  const field = fields[0]!;
  const values = configs.map((c) => flattenConfig(c).get(field));
  if (!values.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  return new Set(values).size === values.length ? field : null;
}

/**
 * The largest subset of `configs` (at least two) that differ in one numeric field only, as
 * indices in increasing order of that field, with the field; all of them when
 * {@link singleNumericField} finds one. Ties go to the subset that appears first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = (factor: number, when = "always") => ({ shaping: { factor, when } });
 * const configs = [c(0.5), c(0), c(0, "sometimes"), c(1)];
 * assert.deepEqual(doseResponseSubset(configs), { field: "shaping.factor", indices: [1, 0, 3] });
 * ```
 */
export function doseResponseSubset(
  configs: readonly unknown[],
): { field: string; indices: number[] } | null {
  const flat = configs.map((c) => flattenConfig(c));
  const byValue = (field: string, idx: number[]) =>
    [...idx].sort((a, b) =>
      (flat[a]!.get(field) as number) - (flat[b]!.get(field) as number) || a - b
    );
  const all = singleNumericField(configs);
  if (all) return { field: all, indices: byValue(all, configs.map((_, i) => i)) };
  let best: { field: string; indices: number[] } | null = null;
  for (const field of differingFields(configs, { absentDiffers: true })) {
    const groups = new Map<string, number[]>();
    flat.forEach((f, i) => {
      const v = f.get(field);
      if (typeof v !== "number" || !Number.isFinite(v)) return;
      const rest = canonicalJson([...f].filter(([k]) => k !== field).sort());
      groups.set(rest, [...(groups.get(rest) ?? []), i]);
    });
    for (const idx of groups.values()) {
      const distinct = new Set(idx.map((i) => flat[i]!.get(field))).size === idx.length;
      if (distinct && idx.length >= 2 && idx.length > (best?.indices.length ?? 0)) {
        best = { field, indices: byValue(field, idx) };
      }
    }
  }
  return best;
}
