/**
 * The questions an experiment trains and evaluates on in a regime (the regimes themselves, and
 * their measures, are core's `REGIMES`), and the regime and name an experiment runs under.
 *
 * @module
 */
import { type Question, questionHops, type Regime, type RegimeName } from "@creditlab/core";
import type { Method } from "@creditlab/train";
import type { ExperimentPreset } from "./presets.ts";

/**
 * The questions of a regime's hop counts, in their original order. A question without a hop
 * count belongs to no restricted regime (it is kept only when the regime allows all of 1-4).
 *
 * @example
 * ```ts
 * import { REGIMES } from "@creditlab/core";
 * const q = (id: string, hops: number) =>
 *   ({ id, question: id, goldenAnswers: ["x"], benchmark: "b", split: "test", metadata: { hops } });
 * regimeQuestions([q("a", 1), q("b", 4), q("c", 3)], REGIMES["long-chains"]).map((x) => x.id); // ["b", "c"]
 * ```
 */
export function regimeQuestions(questions: readonly Question[], regime: Regime): Question[] {
  const all = [1, 2, 3, 4].every((h) => regime.hops.includes(h));
  return questions.filter((q) => {
    const h = questionHops(q);
    return h === null ? all : regime.hops.includes(h);
  });
}

/**
 * The regime `reproduce` runs a method in by default: the preset's when it fixes one (the
 * smoke world has only 1- and 2-hop questions), else the one the method's paper targets, else
 * `mixed`.
 */
export function defaultRegime(preset: ExperimentPreset, method: Method<unknown>): RegimeName {
  return preset.regime ?? method.regime ?? "mixed";
}

/**
 * The experiment name of a method in a regime: the method's name in its default regime
 * ({@link defaultRegime}), `<method>@<regime>` in any other.
 */
export function experimentName(
  method: Method<unknown>,
  opts: { preset: ExperimentPreset; regime: RegimeName },
): string {
  return opts.regime === defaultRegime(opts.preset, method)
    ? method.name
    : `${method.name}@${opts.regime}`;
}
