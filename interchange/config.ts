/**
 * A method config from its defaults and a JSON override: objects merge field by field, anything
 * else (numbers, strings, arrays, discriminated-union members with a new `kind`) replaces. The
 * method's own validation then checks the result when it runs.
 *
 * @module
 */
import { isJsonObject } from "@creditlab/core";

/**
 * `defaults` with `override` merged in (neither is changed). An object whose `kind` differs from
 * the default's replaces it whole (a different member of a union keeps none of the old fields).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const d = { eps: 1e-6, weighting: { kind: "linear" }, attenuation: { factor: 0.5, when: "always" } };
 * assert.deepEqual(mergeConfig(d, { attenuation: { factor: 0 } }), {
 *   eps: 1e-6, weighting: { kind: "linear" }, attenuation: { factor: 0, when: "always" },
 * });
 * assert.deepEqual(mergeConfig(d, { weighting: { kind: "softmax", gamma: 2 } }).weighting, { kind: "softmax", gamma: 2 });
 * ```
 */
export function mergeConfig<T>(defaults: T, override: unknown): T {
  if (!isJsonObject(override)) return structuredClone(override) as T;
  if (!isJsonObject(defaults)) return structuredClone(override) as T;
  if ("kind" in override && override.kind !== defaults.kind) {
    return structuredClone(override) as T;
  }
  const out: Record<string, unknown> = structuredClone(defaults);
  for (const [k, v] of Object.entries(override)) {
    out[k] = k in out ? mergeConfig(out[k], v) : structuredClone(v);
  }
  return out as T;
}

/**
 * Parse a `--config` / request `config` JSON text into an override object; throws naming the
 * flag otherwise.
 */
export function parseConfigOverride(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: expected a JSON object, got invalid JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(v)) {
    throw new Error(`${what}: expected a JSON object, got ${JSON.stringify(v)}`);
  }
  return v;
}
