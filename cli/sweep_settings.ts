/**
 * The settings of a sweep row (cli/sweep.ts): their type, the parsing of the sweep's options,
 * and the preset with a row's overrides applied.
 * @module
 */
import type { ExperimentPreset } from "@creditlab/experiments";
import type { RegimeName } from "@creditlab/core";
import { parsePositiveInt } from "./common.ts";

/** The settings of one sweep row (what a results line records under `settings`). */
export interface SweepSettings {
  preset: string;
  /** Regime of the RL and held-out questions (core/regime.ts; absent in older lines: mixed). */
  regime?: RegimeName;
  /** Seed of the SFT warm start (absent in older lines: the RL seed). */
  sftSeed?: number;
  method: string;
  methodConfig: Record<string, unknown>;
  n: number;
  sft: { steps: number; decayMinLrRatio: number | null; observationWeight: number };
  rl: {
    steps: number;
    questionsPerStep: number;
    groupSize: number;
    lr: number;
    warmupSteps: number;
    temperature: number;
    /** Optimizer updates per step (absent: one update on the whole batch). */
    updates?: { groupsPerUpdate: number; epochs: number };
  };
}

/** Parse a positive number option. */
export function parsePositive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!(Number.isFinite(x) && x > 0)) {
    throw new Error(`--${name}: expected a positive number, got "${v}"`);
  }
  return x;
}

/** Parse a number option that must be >= 0. */
export function parseNonNegative(name: string, v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !(Number.isFinite(x) && x >= 0)) {
    throw new Error(`--${name}: expected a number >= 0, got "${v}"`);
  }
  return x;
}

/** Parse `--seeds 1,2,3`. */
export function parseSeeds(v: string): number[] {
  const seeds = v.split(",").map((s) => s.trim());
  return seeds.map((s) => {
    const n = Number(s);
    if (s === "" || !Number.isInteger(n) || n <= 0) {
      throw new Error(`--seeds: expected positive integers separated by commas, got "${v}"`);
    }
    return n;
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * `over` merged into `base` key by key: a nested object merges into the default's object of the
 * same key, so `{"shaping":{"factor":0.5}}` keeps the other shaping settings; an object
 * with a `kind` (a tagged choice such as `reach`) or any other value replaces the default whole.
 * A key the default lacks is refused, named by its dotted path.
 */
function mergeInto(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  where: { method: string; path: string },
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const path = where.path ? `${where.path}.${k}` : k;
    if (!(k in base)) {
      throw new Error(
        `--method-config: ${where.method} has no setting "${path}"; ${
          where.path ? `"${where.path}" has` : "its settings are"
        } ${Object.keys(base).join(", ")}`,
      );
    }
    const d = base[k];
    out[k] = isPlainObject(v) && isPlainObject(d) && !("kind" in v) && !("kind" in d)
      ? mergeInto(d, v, { method: where.method, path })
      : v;
  }
  return out;
}

/**
 * Merge a `--method-config` JSON object into a method's defaults, nested objects key by key
 * (tagged choices with a `kind` replaced whole), refusing unknown keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeMethodConfig } from "./sweep_settings.ts";
 * const defaults = { klCoef: 0.001, shaping: { factor: 0, when: "always" } };
 * assert.deepEqual(mergeMethodConfig("alpha", defaults, '{"shaping":{"factor":0.5}}'), {
 *   klCoef: 0.001,
 *   shaping: { factor: 0.5, when: "always" },
 * });
 * ```
 */
export function mergeMethodConfig(
  method: string,
  defaults: Record<string, unknown>,
  json: string | undefined,
): Record<string, unknown> {
  if (json === undefined) return structuredClone(defaults);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`--method-config: not valid JSON (${(e as Error).message}): ${json}`);
  }
  if (!isPlainObject(parsed)) {
    throw new Error(`--method-config: expected a JSON object, got ${json}`);
  }
  return mergeInto(structuredClone(defaults), parsed, { method, path: "" });
}

/** The preset with a sweep's overrides applied (a copy). */
export function sweepPreset(base: ExperimentPreset, s: SweepSettings): ExperimentPreset {
  const p = structuredClone(base);
  p.world.testQuestions = Math.max(base.world.testQuestions, s.n);
  p.eval.testQuestions = s.n;
  p.eval.oodQuestions = s.n;
  p.sft.steps = s.sft.steps;
  p.sft.observationWeight = s.sft.observationWeight;
  if (s.sft.decayMinLrRatio !== null) {
    p.sft.optimizer.decay = { totalSteps: s.sft.steps, minLrRatio: s.sft.decayMinLrRatio };
  }
  p.rl.steps = s.rl.steps;
  p.rl.questionsPerStep = s.rl.questionsPerStep;
  p.rl.rollout.groupSize = s.rl.groupSize;
  p.rl.rollout.temperature = s.rl.temperature;
  p.rl.optimizer.lr = s.rl.lr;
  p.rl.optimizer.warmupSteps = s.rl.warmupSteps;
  p.rl.checkpointEvery = s.rl.steps;
  if (s.rl.updates) p.rl.updates = { ...s.rl.updates };
  else delete p.rl.updates;
  return p;
}

/**
 * The optimizer updates per step of a sweep row: the preset's, overridden by
 * `--groups-per-update` (default: the step's questions) and `--epochs` (default 1); undefined
 * when neither the preset nor the options ask for more than one update.
 */
export function sweepUpdates(
  base: ExperimentPreset,
  opts: { groupsPerUpdate: string | undefined; epochs: string | undefined; questions: number },
): { groupsPerUpdate: number; epochs: number } | undefined {
  if (opts.groupsPerUpdate === undefined && opts.epochs === undefined) return base.rl.updates;
  return {
    groupsPerUpdate: parsePositiveInt(
      "groups-per-update",
      opts.groupsPerUpdate,
      base.rl.updates?.groupsPerUpdate ?? opts.questions,
    ),
    epochs: parsePositiveInt("epochs", opts.epochs, base.rl.updates?.epochs ?? 1),
  };
}
