/**
 * The SearchWorld testbed of a preset in a regime: the worlds (in-domain and out-of-domain), their
 * retrieval, the tokenizer, the entity anonymisers and the training-only resources the world
 * serves by request.
 *
 * @module
 */
import {
  Bm25Index,
  bm25SearchTool,
  generateWorld,
  type HopMix,
  type World,
  worldPreset,
  worldVocabulary,
} from "@creditlab/datasets";
import { buildPrompt, EntityAnonymizer, invalidActionText, WordTokenizer } from "@creditlab/agent";
import { resourceProvider, type TrainingResources } from "@creditlab/train";
import {
  type FeedbackDetail,
  type Question,
  type Regime,
  REGIMES,
  type SearchTool,
} from "@creditlab/core";
import type { ExperimentPreset } from "./presets.ts";
import { regimeQuestions } from "./regimes.ts";

/** Worlds, retrieval and tokenizer of one preset. */
export interface Testbed {
  world: World;
  oodWorld: World;
  search: SearchTool;
  oodSearch: SearchTool;
  tokenizer: WordTokenizer;
  /** The regime the RL questions and the held-out questions come from. */
  regime: Regime;
  /** SFT questions: every training question of the world (the warm start is regime-free). */
  train: Question[];
  /** RL questions: the training questions of the regime's hop counts. */
  rlTrain: Question[];
  /** Held-out questions of the regime's hop counts, in-domain and out-of-domain. */
  test: Question[];
  ood: Question[];
  /**
   * The search tool and the training-only resources the world serves by request: its
   * privileged verifier at any detail level and its oracle round judge. Nothing is built
   * until a method (or the SFT warm start) asks.
   */
  resources: TrainingResources;
  /** Entity slots of the policy's text per world (absent with `entityCoding: "words"`). */
  anonymizer?: EntityAnonymizer;
  oodAnonymizer?: EntityAnonymizer;
}

/**
 * The world's hop mix restricted to a regime's hop counts (the same weights, the others 0), or
 * `null` when the world has none of them. The `mixed` regime keeps the mix as it is.
 *
 * @example
 * ```ts
 * import { REGIMES } from "@creditlab/core";
 * regimeHopMix({ 1: 0.3, 2: 0.3, 3: 0.25, 4: 0.15 }, REGIMES["long-chains"]); // { 3: 0.25, 4: 0.15 }
 * regimeHopMix({ 1: 0.5, 2: 0.5 }, REGIMES["sparse-success"]); // null
 * ```
 */
export function regimeHopMix(mix: HopMix, regime: Regime): HopMix | null {
  const out: HopMix = {};
  for (const h of [1, 2, 3, 4] as const) {
    const w = mix[h];
    if (w !== undefined && w > 0 && regime.hops.includes(h)) out[h] = w;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Build the testbed of a preset in a regime (default `mixed`; deterministic: same preset and
 * regime, same testbed). The world and the SFT questions do not depend on the regime; the RL
 * questions and the held-out questions are the regime's hop counts. Each world's test pool
 * (`world.testQuestions`) is drawn from the regime's hop counts in the world's proportions
 * ({@link regimeHopMix}), and the held-out questions are its first `eval.testQuestions` /
 * `eval.oodQuestions`.
 */
export function buildTestbed(
  preset: ExperimentPreset,
  opts: { regime?: Regime } = {},
): Testbed {
  const regime = opts.regime ?? REGIMES.mixed;
  const base = worldPreset(preset.world.preset);
  const testHops = regimeHopMix(base.hops, regime);
  if (testHops === null) {
    throw new Error(
      `buildTestbed: preset "${preset.name}" (world ${preset.world.preset}) has no question of ` +
        `${regime.hops.join("/")} hops for regime "${regime.name}"; choose another regime`,
    );
  }
  const config = {
    ...base,
    testHops,
    questions: { train: preset.world.trainQuestions, test: preset.world.testQuestions },
  };
  const world = generateWorld(config, { seed: preset.world.seed });
  const oodWorld = generateWorld(
    {
      ...config,
      entityNamespace: 1,
      questions: { train: 0, test: Math.max(preset.world.testQuestions, preset.eval.oodQuestions) },
    },
    { seed: preset.world.seed + 1 },
  );
  const heldOut = (w: World, n: number, what: string): Question[] => {
    const qs = regimeQuestions(w.questions("test"), regime).slice(0, n);
    if (qs.length < n) {
      throw new Error(
        `buildTestbed: preset "${preset.name}" (world ${preset.world.preset}) has ${qs.length} ` +
          `${what} test questions of ${regime.hops.join("/")} hops for regime "${regime.name}", ` +
          `needs ${n}; raise world.testQuestions or choose another regime`,
      );
    }
    return qs;
  };
  const rlTrain = regimeQuestions(world.questions("train"), regime);
  if (rlTrain.length === 0) {
    throw new Error(
      `buildTestbed: preset "${preset.name}" (world ${preset.world.preset}) has no training ` +
        `question of ${regime.hops.join("/")} hops for regime "${regime.name}"`,
    );
  }
  const search = bm25SearchTool(Bm25Index.build([...world.corpus]));
  const oodSearch = bm25SearchTool(Bm25Index.build([...oodWorld.corpus]));
  const slots = preset.entityCoding === "slots";
  const anonymizer = new EntityAnonymizer(world.entities.map((e) => e.name));
  const oodAnonymizer = new EntityAnonymizer(oodWorld.entities.map((e) => e.name));
  const tokenizer = WordTokenizer.build([
    worldVocabulary(config).join(" "),
    buildPrompt("x", { feedbackOffered: true, maxSearchTurns: 1 }),
    invalidActionText({ feedbackOffered: true }),
    "doc 0 1 2 3 4 5 6 7 8 9 ( title : ) , . ?",
  ], { extraTokens: anonymizer.slotTokens() });
  return {
    world,
    oodWorld,
    search,
    oodSearch,
    tokenizer,
    regime,
    train: world.questions("train"),
    rlTrain,
    test: heldOut(world, preset.eval.testQuestions, "in-domain"),
    ood: heldOut(oodWorld, preset.eval.oodQuestions, "out-of-domain"),
    resources: {
      search,
      provide: resourceProvider(`SearchWorld testbed (preset ${preset.name})`, {
        "privileged-verifier": (r) => world.verifier({ detail: r.detail }),
        "round-judge": () => world.roundJudge(),
      }),
    },
    ...(slots ? { anonymizer, oodAnonymizer } : {}),
  };
}

/**
 * The detail of the privileged verifier whose feedback the SFT warm start's repair
 * demonstrations show (the warm start is shared by every arm, so it does not follow a method).
 */
export const SFT_VERIFIER_DETAIL: FeedbackDetail = "error-type";

/** Checkpoint metadata of a testbed's policy: tokenizer and entity coding. */
export function checkpointExtra(testbed: Testbed): Record<string, string> {
  return {
    tokenizer: JSON.stringify(testbed.tokenizer.toJSON()),
    entityCoding: testbed.anonymizer ? "slots" : "words",
  };
}
