/**
 * GiGPO's anchor states on SearchWorld trajectories (Feng et al., arXiv 2505.10978, eq. 6):
 * the key of the environment state each policy round starts from, and the step-level groups
 * those keys form within a prompt group.
 *
 * Round k of a trajectory starts after the prompt and the observations of rounds 1..k-1 (an
 * observation belongs to the round it answers, `Turn.round`). Search observations are rendered
 * as `<information> Doc 1(Title: t1) text1\nDoc 2(Title: t2) text2 </information>`
 * (`formatPassages` of agent/protocol.ts); a passage is identified by its `Title: t) text`
 * part with whitespace collapsed, so its rank in the result list does not matter.
 *
 * @module
 */
import type { Trajectory } from "@creditlab/core";
import { checkGroupIds } from "../grpo/mod.ts";
import type { AnchorKeyKind } from "./config.ts";

const INFORMATION = /<information>([\s\S]*?)<\/information>/g;
/** Start of one passage: `Doc <i>(` before `Title: `, at the start or after whitespace. */
const DOC = /(?<=^|\s)Doc \d+\((?=Title: )/g;

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/**
 * The passages an observation text shows, in order: for each `Doc i(Title: t) text` entry of
 * each `<information>` block, `Title: t) text` with whitespace collapsed (the title is not cut
 * from the text, so titles holding parentheses are safe). Text outside `<information>` (an
 * invalid-action message, a verifier's feedback) shows no passage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const obs = "<information> Doc 1(Title: Paris (city)) Capital of France.\n" +
 *   "Doc 2(Title: Lyon)  A city. </information>";
 * assert.deepEqual(passagesOf(obs), ["Title: Paris (city)) Capital of France.", "Title: Lyon) A city."]);
 * assert.deepEqual(passagesOf("<information> </information>"), []);
 * ```
 */
export function passagesOf(text: string): string[] {
  const out: string[] = [];
  for (const block of text.matchAll(INFORMATION)) {
    const body = block[1]!;
    const starts = Array.from(body.matchAll(DOC), (m) => ({
      at: m.index,
      from: m.index + m[0].length,
    }));
    starts.forEach((s, i) => {
      const p = collapse(body.slice(s.from, starts[i + 1]?.at ?? body.length));
      if (p.length > 0) out.push(p);
    });
  }
  return out;
}

/** Options of {@link anchorKeys}. */
export interface AnchorKeyOptions {
  kind: AnchorKeyKind;
  /** Whether the round index k is part of the key. */
  keyRound: boolean;
}

/**
 * The anchor-state key of each policy round k = 1..numRounds of a trajectory (index k - 1):
 * a string equal for two rounds exactly when their states are the same under `kind`
 * (config.ts, `AnchorKeyKind`), with `[k, ...]` in front when `keyRound`.
 *
 * - `"retrieved-set"`: the sorted set of passages ({@link passagesOf}) of the observations of
 *   rounds 1..k-1.
 * - `"exact-history"`: the prompt and every environment turn (observation or feedback) of
 *   rounds 1..k-1, each whitespace-collapsed, in order.
 * - `"last-observation"`: the last of those (the prompt for k = 1).
 *
 * Throws when a round 1..numRounds has no policy turn.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trajectory } from "../testing.ts";
 * const t = trajectory({
 *   groupId: 0,
 *   reward: 1,
 *   rounds: [
 *     { policy: "<search> a </search>", obs: "<information> Doc 1(Title: A) a. </information>" },
 *     { policy: "<answer> b </answer>" },
 *   ],
 * });
 * assert.deepEqual(anchorKeys(t, 2, { kind: "retrieved-set", keyRound: true }), [
 *   '[1,[]]',
 *   '[2,["Title: A) a."]]',
 * ]);
 * ```
 */
export function anchorKeys(t: Trajectory, numRounds: number, opts: AnchorKeyOptions): string[] {
  const keys = new Array<string | undefined>(numRounds).fill(undefined);
  const seen = new Set<string>();
  const shown: string[] = [];
  const state = (): unknown => {
    switch (opts.kind) {
      case "retrieved-set":
        return Array.from(seen).sort();
      case "exact-history":
        return shown;
      case "last-observation":
        return shown[shown.length - 1] ?? "";
    }
  };
  for (const turn of t.turns) {
    const k = turn.round;
    if (turn.role === "policy") {
      if (k >= 1 && k <= numRounds && keys[k - 1] === undefined) {
        const s = state();
        keys[k - 1] = JSON.stringify(opts.keyRound ? [k, s] : [s]);
      }
      continue;
    }
    // the prompt (round 0) and the environment's turns
    shown.push(collapse(turn.text));
    if (k >= 1) { for (const p of passagesOf(turn.text)) seen.add(p); }
  }
  const missing = keys.findIndex((x) => x === undefined);
  if (missing >= 0) {
    throw new RangeError(
      `anchorKeys: trajectory of question ${t.questionId} (group ${t.groupId}) has no policy ` +
        `turn for round ${missing + 1} of ${numRounds}`,
    );
  }
  return keys as string[];
}

/**
 * The step-level groups of a batch, one entry per policy round: row r's rounds k = 1..K_r are
 * entries `offsets[r] + k - 1`.
 */
export interface AnchorGroups {
  /** n + 1 entry offsets; row r has `offsets[r + 1] - offsets[r]` rounds. */
  offsets: Int32Array;
  /** Anchor group of each entry, dense ids 0..count-1 in order of first appearance. */
  ids: Int32Array;
  /** Size of each entry's anchor group (1 = the state occurs nowhere else in its prompt group). */
  sizes: Int32Array;
  /** Number of anchor groups. */
  count: number;
}

/**
 * Anchor groups of a batch (eq. 6): two rounds share a group when their rows share a prompt
 * group (`groupIds`) and their keys are equal. `keys[r]` holds the keys of row r's rounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const g = anchorGroups([["s", "a"], ["s", "a"], ["s"]], Int32Array.of(0, 0, 1));
 * assert.deepEqual(Array.from(g.offsets), [0, 2, 4, 5]);
 * assert.deepEqual(Array.from(g.ids), [0, 1, 0, 1, 2]); // row 2 is in another prompt group
 * assert.deepEqual(Array.from(g.sizes), [2, 2, 2, 2, 1]);
 * ```
 */
export function anchorGroups(
  keys: readonly (readonly string[])[],
  groupIds: Int32Array,
): AnchorGroups {
  checkGroupIds(groupIds, keys, { op: "anchorGroups", of: "keys" });
  const offsets = new Int32Array(keys.length + 1);
  keys.forEach((k, r) => (offsets[r + 1] = offsets[r]! + k.length));
  const total = offsets[keys.length]!;
  const ids = new Int32Array(total);
  const index = new Map<string, number>();
  const counts: number[] = [];
  keys.forEach((row, r) => {
    row.forEach((key, j) => {
      const full = `${groupIds[r]}:${key}`;
      let id = index.get(full);
      if (id === undefined) {
        id = index.size;
        index.set(full, id);
        counts.push(0);
      }
      counts[id]! += 1;
      ids[offsets[r]! + j] = id;
    });
  });
  const sizes = ids.map((id) => counts[id]!);
  return { offsets, ids, sizes, count: index.size };
}
