/**
 * What a report decides about an experiment, from its comparisons ({@link compareArms}) and the
 * paper card: the paper's direction ({@link paperDirection}), per SearchWorld world the verdict
 * on Δ(method − baseline) in that direction and each arm's gain over its warm start ("does RL
 * learn?"), and the in-domain verdict as the headline ({@link decide}). Pure functions of
 * numbers already read from the store, so the same store always gives the same decisions.
 *
 * The pieces: paired.ts (the paired interval), compare.ts (arm against arm, Welch fallback),
 * verdict.ts (a verdict in words), regime.ts (the regime measure), trend.ts (the training
 * reward trend).
 *
 * @module
 */

import type { Comparison } from "./compare.ts";
import { points } from "./format.ts";
import { type PaperCard, paperEffects } from "./paper.ts";
import { intervalVerdict, type Verdict, verdict, type VerdictKind } from "./verdict.ts";

/** The direction of a paper's claim and where the report read it. */
export interface ClaimDirection {
  /** +1: the paper claims the method beats the baseline; -1: the opposite. */
  direction: 1 | -1;
  source: string;
}

/**
 * The paper's direction: the sign of the effects read off the card ({@link paperEffects}),
 * else + when a claim says the method outperforms, gains or improves, else + assumed (every
 * paper of a credit-assignment method claims it beats its baseline), saying so.
 */
export function paperDirection(card: PaperCard): ClaimDirection {
  if (card.kind === "missing") {
    return { direction: 1, source: `${card.reason}: + (method better than baseline) assumed` };
  }
  const fx = paperEffects(card).filter((e) => e.points !== 0);
  if (fx.length > 0) {
    const first = fx[0]!;
    const direction = first.points > 0 ? 1 : -1;
    const agree = fx.every((e) => Math.sign(e.points) === direction);
    return {
      direction,
      source: `paper card: ${first.metric} ${first.points > 0 ? "+" : ""}${
        first.points.toFixed(1)
      } points (${first.how})${
        agree ? "" : "; the card's effects disagree in sign, first one used"
      }`,
    };
  }
  for (const p of card.papers) {
    const c = p.claims.find((c) => /outperform|better|gain|improv/i.test(c.metric));
    if (c) return { direction: 1, source: `paper card: "${c.metric}"` };
  }
  return {
    direction: 1,
    source: "the paper card gives no effect direction: + (method better than baseline) assumed",
  };
}

/**
 * The verdict of a comparison in the paper's direction: {@link verdict} of the paired estimate;
 * for a Welch fallback the same rule (interval strictly on one side of 0), its text naming the
 * design "Welch over a vs b seeds". Null without an interval.
 */
export function comparisonVerdict(
  c: Comparison,
  opts: { direction: 1 | -1; label?: string },
): Verdict | null {
  const label = opts.label === undefined ? {} : { label: opts.label };
  if (c.paired) return verdict(c.paired, { direction: opts.direction, ...label });
  const e = c.estimate;
  if (e === null) return null;
  return intervalVerdict(e, {
    direction: opts.direction,
    ...label,
    design: `(Welch over ${e.seeds} vs ${e.referenceSeeds} seeds; no per-question outcomes)`,
  });
}

/** "Does RL learn?" in words, from the verdict kind of an arm's gain over its warm start. */
export function learnsAnswer(kind: VerdictKind, mde: number): string {
  if (kind === "reproduces") return "yes";
  if (kind === "contradicts") return "no: below its warm start";
  return `inconclusive at MDE ${points(mde)} points`;
}

/** A comparison with its verdict: the paper's claim (method − baseline) or an arm's gain. */
export interface Decided {
  comparison: Comparison;
  /** Null without an interval. */
  verdict: Verdict | null;
  /** For a gain over the warm start: "yes", "no: ...", "inconclusive at MDE x points". */
  answer: string | null;
}

/** The decisions of one SearchWorld world (column). */
export interface WorldDecision {
  column: string;
  label: string;
  domain: "in-domain" | "out-of-domain";
  /** Δ method − baseline, verdict in the paper's direction; null without both arms. */
  claim: Decided | null;
  /** Each RL arm's gain over the warm start (baseline first), verdict in direction +. */
  gains: Decided[];
}

/** Everything a report decides about one experiment. */
export interface Decisions {
  direction: ClaimDirection;
  worlds: WorldDecision[];
  /** The in-domain verdict on the paper's claim (the report's headline), when there is one. */
  headline: { column: string; label: string; verdict: Verdict } | null;
}

/** Label and domain of a SearchWorld column key. */
export function worldOf(column: string): { label: string; domain: "in-domain" | "out-of-domain" } {
  return column.endsWith("-ood")
    ? { label: "SearchWorld-OOD", domain: "out-of-domain" }
    : { label: "SearchWorld", domain: "in-domain" };
}

/**
 * The decisions of an experiment from its comparisons and the paper card: per world the verdict
 * on Δ(method − baseline) in the paper's direction and each arm's gain over its warm start;
 * the in-domain claim is the headline.
 */
export function decide(
  comparisons: readonly Comparison[],
  opts: { card: PaperCard; baseline?: string },
): Decisions {
  const direction = paperDirection(opts.card);
  const baseline = opts.baseline ?? "baseline";
  const columns = [...new Set(comparisons.map((c) => c.column))];
  const worlds = columns.map((column): WorldDecision => {
    const cs = comparisons.filter((c) => c.column === column);
    const claimC = cs.find((c) => c.reference === baseline);
    const gains = cs.filter((c) => c.reference === "start").map((c): Decided => {
      const v = comparisonVerdict(c, { direction: 1, label: c.label });
      return {
        comparison: c,
        verdict: v,
        answer: v && c.estimate ? learnsAnswer(v.kind, c.estimate.mde) : null,
      };
    });
    return {
      column,
      ...worldOf(column),
      claim: claimC
        ? {
          comparison: claimC,
          verdict: comparisonVerdict(claimC, { direction: direction.direction }),
          answer: null,
        }
        : null,
      gains,
    };
  });
  const inDomain = worlds.find((w) => w.domain === "in-domain" && w.claim?.verdict);
  return {
    direction,
    worlds,
    headline: inDomain?.claim?.verdict
      ? { column: inDomain.column, label: inDomain.label, verdict: inDomain.claim.verdict }
      : null,
  };
}
