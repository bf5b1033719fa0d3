/**
 * A SearchWorld world as a data source of the environment service: its questions by id, its
 * privileged verifier (`world.verifier({detail})`, CAPF) and oracle round judge
 * (`world.roundJudge()`, CW-GRPO and PURE), which read the gold chains — no LLM involved.
 *
 * `searchworld:<preset>` is the world `data export --searchworld <preset>` writes (same preset,
 * same seed, default {@link DEFAULT_WORLD_SEED}), so an engine trained on that parquet names
 * its questions by the exported `id`; `searchworld-ood:<preset>` is its out-of-domain twin.
 *
 * @module
 */
import type { FeedbackDetail } from "@creditlab/core";
import {
  DEFAULT_WORLD_SEED,
  generateWorld,
  oodConfig,
  type SearchWorldVerifier,
  type World,
  WORLD_PRESETS,
  worldPreset,
  type WorldPresetName,
} from "@creditlab/datasets";
import { type EnvSource, indexQuestions } from "./sources.ts";

/** A parsed `--world` value. */
export interface WorldSpec {
  /** `searchworld` (the training world) or `searchworld-ood` (its out-of-domain twin). */
  dataSource: "searchworld" | "searchworld-ood";
  preset: WorldPresetName;
}

/**
 * Parse `searchworld:<preset>` or `searchworld-ood:<preset>` (preset `easy`, `default`, `hard`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseWorldSpec("searchworld:easy"), { dataSource: "searchworld", preset: "easy" });
 * assert.throws(() => parseWorldSpec("searchworld:tiny"), /preset/);
 * ```
 */
export function parseWorldSpec(spec: string): WorldSpec {
  const m = /^(searchworld|searchworld-ood):(.+)$/.exec(spec.trim());
  if (!m) {
    throw new Error(
      `--world: expected searchworld:<preset> or searchworld-ood:<preset>, got ${
        JSON.stringify(spec)
      }`,
    );
  }
  const preset = m[2]!;
  if (!(WORLD_PRESETS as readonly string[]).includes(preset)) {
    throw new Error(
      `--world ${spec}: unknown preset ${JSON.stringify(preset)} (presets: ${
        WORLD_PRESETS.join(", ")
      })`,
    );
  }
  return {
    dataSource: m[1] as WorldSpec["dataSource"],
    preset: preset as WorldPresetName,
  };
}

/**
 * The source of an already generated world (`preset` is only reported by `/v1/info`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWorld, worldPreset } from "@creditlab/datasets";
 * const world = generateWorld(worldPreset("easy"), { seed: 1 });
 * const source = worldSource(world, { preset: "easy" });
 * assert.equal(source.lookup(world.questions("test")[0]!.id).length, 1);
 * ```
 */
export function worldSource(world: World, opts: { preset?: string } = {}): EnvSource {
  const byId = indexQuestions([...world.questions("train"), ...world.questions("test")]);
  // One verifier per detail level, built on first use (they hold no per-request state).
  const verifiers = new Map<FeedbackDetail, SearchWorldVerifier>();
  const judge = world.roundJudge();
  const train = world.questions("train").length;
  const test = world.questions("test").length;
  return {
    dataSource: world.benchmark,
    kind: "searchworld",
    size: train + test,
    lookup: (id) => byId.get(id) ?? [],
    oracle: {
      verifier(detail) {
        let v = verifiers.get(detail);
        if (!v) {
          v = world.verifier({ detail });
          verifiers.set(detail, v);
        }
        return v;
      },
      judge,
    },
    info: {
      data_source: world.benchmark,
      kind: "searchworld",
      ...(opts.preset === undefined ? {} : { preset: opts.preset }),
      seed: world.seed,
      questions: { train, test },
      gold_entities: true,
    },
  };
}

/**
 * Generate the world of a `--world` value with `seed` (default {@link DEFAULT_WORLD_SEED}, the
 * seed of `data export`) and serve it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const source = loadWorldSource("searchworld:easy");
 * assert.equal(source.lookup("searchworld-train-0")[0]!.benchmark, "searchworld");
 * ```
 */
export function loadWorldSource(spec: string, opts: { seed?: number } = {}): EnvSource {
  const { dataSource, preset } = parseWorldSpec(spec);
  const seed = opts.seed ?? DEFAULT_WORLD_SEED;
  const config = dataSource === "searchworld"
    ? worldPreset(preset)
    : oodConfig(worldPreset(preset));
  return worldSource(generateWorld(config, { seed }), { preset });
}
