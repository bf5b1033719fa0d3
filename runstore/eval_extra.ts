/**
 * Readers of the `extra` fields of a stored evaluation that reports use: EM by hop count
 * (`extra.byHops`) and the teacher-forced lookup probe (`extra.lookup`).
 *
 * @module
 */
import type { HopScore } from "@creditlab/core";

/**
 * The recorded EM per hop count of an evaluation (`extra.byHops`, written by the evaluations of
 * agent/evaluate.ts), keyed "1".."4"; entries without a finite `n` and `em` are left out, and an
 * evaluation without the field gives null.
 *
 * @example
 * ```ts
 * import { readByHops } from "./eval_extra.ts";
 * readByHops({ toolCalls: 1, byHops: { "1": { n: 50, em: 0.4 } } }); // { "1": { n: 50, em: 0.4 } }
 * readByHops({ toolCalls: 1 }); // null
 * ```
 */
export function readByHops(extra: Record<string, unknown>): Record<string, HopScore> | null {
  const by = extra["byHops"];
  if (typeof by !== "object" || by === null) return null;
  const out: Record<string, HopScore> = {};
  for (const [hop, v] of Object.entries(by)) {
    if (typeof v !== "object" || v === null) continue;
    const { n, em } = v as Record<string, unknown>;
    if (typeof n === "number" && typeof em === "number" && Number.isFinite(em)) {
      out[hop] = { n, em };
    }
  }
  return out;
}

/** The lookup probe of an evaluation, as recorded in `evals.extra.lookup` (agent/lookup.ts). */
export interface LookupScore {
  accuracy: number;
  chance: number;
  n: number;
}

/**
 * Read the teacher-forced lookup probe from an evaluation's `extra`; null when it was not
 * recorded (evaluations of benchmarks without gold chains, or older runs).
 *
 * @example
 * ```ts
 * import { readLookup } from "./eval_extra.ts";
 * readLookup({ lookup: { accuracy: 0.5, chance: 0.4, n: 150, missed: 0 } }); // { accuracy: 0.5, chance: 0.4, n: 150 }
 * readLookup({ toolCalls: 1 }); // null
 * ```
 */
export function readLookup(extra: Record<string, unknown>): LookupScore | null {
  const l = extra["lookup"];
  if (typeof l !== "object" || l === null) return null;
  const { accuracy, chance, n } = l as Record<string, unknown>;
  if (typeof accuracy !== "number" || typeof chance !== "number" || typeof n !== "number") {
    return null;
  }
  if (!Number.isFinite(accuracy) || !Number.isFinite(chance) || n <= 0) return null;
  return { accuracy, chance, n };
}
