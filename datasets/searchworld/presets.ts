/**
 * Named SearchWorld configurations.
 *
 * | preset    | hops 1/2/3/4      | distractors | passages/entity | attributes | persons/companies/cities/countries | train/test |
 * |-----------|-------------------|-------------|-----------------|------------|------------------------------------|------------|
 * | `easy`    | .5 / .5 / 0 / 0   | 0.1         | 2               | 0          | 300 / 60 / 50 / 12                 | 1500 / 300 |
 * | `default` | .3 / .3 / .25/.15 | 0.3         | 2               | 0          | 400 / 100 / 80 / 20                | 3000 / 500 |
 * | `hard`    | 0 / 0 / .5 / .5   | 0.8         | 2               | 0          | 500 / 120 / 100 / 24               | 4000 / 500 |
 *
 * 1-hop questions are limited by the number of facts (one per entity and relation), hence
 * the entity counts. Two passages per entity and no filler attributes keep a 4-hop episode
 * (prompt, four searches with top-3 observations, answer) at ~365 word tokens (max ~405)
 * under the agent's word tokenizer, inside a 480-token rollout budget; the query must then
 * name the relation to get the right passage of the entity.
 *
 * `easy` has short questions, not long passages: with one long passage per entity a short warm
 * start reads at chance (teacher-forced lookup accuracy, agent/lookup.ts), with two passages per
 * entity and no filler, as in `default`, it reads above chance after 50 SFT steps
 * (reports/experiments.md).
 *
 * `default` mixes hop counts on purpose: a tiny SFT-warm-started policy solves most 1-hop and
 * many 2-hop questions but few 3-4-hop ones, so GRPO groups on the long questions are often
 * all-zero (the regime that methods adding a signal to failed groups target). All presets share `nameWords`
 * (160) and `nameLength` (2), hence one vocabulary; `oodConfig` gives the out-of-domain twin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oodConfig, worldPreset } from "./presets.ts";
 * const cfg = worldPreset("hard");
 * const ood = oodConfig(cfg); // same knobs, entityNamespace 1
 * assert.equal(ood.entityNamespace, 1);
 * ```
 * @module
 */
import { RELATION_IDS } from "./schema.ts";
import type { WorldConfig } from "./types.ts";

/** Names of the presets. */
export type WorldPresetName = "easy" | "default" | "hard";

/** All preset names. */
export const WORLD_PRESETS: readonly WorldPresetName[] = ["easy", "default", "hard"];

/** What the presets set differently: entity counts, hop mix, distractor similarity, split sizes. */
type PresetKnobs = Pick<WorldConfig, "entities" | "hops" | "distractorSimilarity" | "questions">;

/** The knobs of each preset (see the table in the module doc). */
const KNOBS: Readonly<Record<WorldPresetName, PresetKnobs>> = {
  easy: {
    entities: { person: 300, company: 60, city: 50, country: 12 },
    hops: { 1: 0.5, 2: 0.5 },
    distractorSimilarity: 0.1,
    questions: { train: 1500, test: 300 },
  },
  default: {
    entities: { person: 400, company: 100, city: 80, country: 20 },
    hops: { 1: 0.3, 2: 0.3, 3: 0.25, 4: 0.15 },
    distractorSimilarity: 0.3,
    questions: { train: 3000, test: 500 },
  },
  hard: {
    entities: { person: 500, company: 120, city: 100, country: 24 },
    hops: { 3: 0.5, 4: 0.5 },
    distractorSimilarity: 0.8,
    questions: { train: 4000, test: 500 },
  },
};

/** A fresh copy of a preset config (safe to modify). */
export function worldPreset(name: WorldPresetName): WorldConfig {
  if (!Object.hasOwn(KNOBS, name)) {
    throw new Error(
      `worldPreset: name must be one of ${WORLD_PRESETS.join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  const k = structuredClone(KNOBS[name]);
  return {
    relations: [...RELATION_IDS],
    nameWords: 160,
    nameLength: 2,
    entityNamespace: 0,
    namespaces: 2,
    entities: k.entities,
    hops: k.hops,
    distractorSimilarity: k.distractorSimilarity,
    passagesPerEntity: 2,
    attributes: 0,
    questions: k.questions,
  };
}

/**
 * The out-of-domain twin of a config: the same relations, templates, sizes and word
 * inventory, but `entityNamespace` moved (default 1; `namespaces` unchanged), so no entity
 * name is shared with the namespace-0 world while every word is (the training tokenizer
 * covers it).
 */
export function oodConfig(config: WorldConfig, opts: { namespace?: number } = {}): WorldConfig {
  const ns = opts.namespace ?? 1;
  if (!Number.isInteger(ns) || ns < 1 || ns >= config.namespaces) {
    throw new Error(
      `oodConfig: namespace must be an integer in [1, namespaces - 1 = ${config.namespaces - 1}] ` +
        `(0 is the training world; namespaces must stay equal for the worlds to be disjoint), got ${ns}`,
    );
  }
  return { ...structuredClone(config), entityNamespace: ns };
}
