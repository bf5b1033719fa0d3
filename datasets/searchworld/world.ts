/**
 * A generated SearchWorld: knowledge base, passage corpus, questions with gold chains, and
 * the privileged verifier and oracle round judge that read them.
 *
 * Build one with `generateWorld(config, { seed })` (generate.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWorld, worldPreset } from "./mod.ts";
 * const world = generateWorld(worldPreset("easy"), { seed: 1 });
 * const q = world.questions("train")[0]!;
 * q.goldChain![0]!.query; // e.g. "vorla tesin employer"
 * const fb = await world.verifier({ detail: "error-type" }).verify(q, q.goldenAnswers[0]!);
 * assert.equal(fb.correct, true);
 * ```
 * @module
 */
import {
  ATTRIBUTE_IDS,
  ATTRIBUTES,
  ENTITY_TYPES,
  RELATION_IDS,
  type RelationId,
  TEMPLATE_WORDS,
} from "./schema.ts";
import { nameInventory } from "./names.ts";
import type { Doc, Question, RoundJudge } from "@creditlab/core";
import type { Entity, Split, WorldConfig } from "./types.ts";
import {
  normalizeName,
  SearchWorldVerifier,
  VERIFIER_WORDS,
  type VerifierOptions,
} from "./verifier.ts";
import { OracleRoundJudge } from "./judge.ts";

/** The plain data of a world (what `toJSON` returns; byte-identical for the same seed). */
export interface WorldData {
  benchmark: string;
  seed: number;
  config: WorldConfig;
  entities: Entity[];
  corpus: Doc[];
  questions: Record<Split, Question[]>;
  /** For each entity id, relation id -> id of the document holding that fact. */
  factDocs: Partial<Record<RelationId, string>>[];
}

/**
 * Every word any world with this config's name inventory can produce: name words (the whole
 * inventory, used or not), template words, types, relations, attributes and their values, and
 * the verifier's words. Worlds of different seeds or namespaces (the OOD world) with the same
 * `nameWords` have the same vocabulary.
 */
export function worldVocabulary(config: Pick<WorldConfig, "nameWords">): string[] {
  const reserved = reservedWords();
  const words = new Set<string>([...reserved, ...nameInventory(config.nameWords, reserved)]);
  return [...words].sort();
}

/** Template, type, relation, attribute and verifier words (never used as name words). */
export function reservedWords(): Set<string> {
  const s = new Set<string>([
    ...TEMPLATE_WORDS,
    ...ENTITY_TYPES,
    ...RELATION_IDS,
    ...ATTRIBUTE_IDS,
  ]);
  for (const a of ATTRIBUTE_IDS) for (const v of ATTRIBUTES[a].values) s.add(v);
  for (const w of VERIFIER_WORDS) s.add(w);
  return s;
}

/** A generated world. Immutable; every accessor returns the world's own arrays (do not mutate). */
export class World {
  readonly #data: WorldData;
  readonly #byName: Map<string, Entity>;
  readonly #byQuestionId: Map<string, Question>;

  /** Wrap generated data (use `generateWorld`). */
  constructor(data: WorldData) {
    this.#data = data;
    // generated names are already normalised (lower-case letter words, never an article)
    this.#byName = new Map();
    for (const e of data.entities) this.#byName.set(e.name, e);
    this.#byQuestionId = new Map();
    for (const split of ["train", "test"] as const) {
      for (const q of data.questions[split]) this.#byQuestionId.set(q.id, q);
    }
  }

  /** "searchworld" (namespace 0) or "searchworld-ood". */
  get benchmark(): string {
    return this.#data.benchmark;
  }

  get seed(): number {
    return this.#data.seed;
  }

  get config(): WorldConfig {
    return this.#data.config;
  }

  /** All entities; `entities[i].id === i`. */
  get entities(): readonly Entity[] {
    return this.#data.entities;
  }

  /** The passage corpus: `{ id, title, text }`, title = the entity name. */
  get corpus(): readonly Doc[] {
    return this.#data.corpus;
  }

  /** Questions of a split (canonical schema, with gold chain and gold entities). */
  questions(split: Split): Question[] {
    const qs = this.#data.questions[split];
    if (!qs) {
      throw new Error(
        `World.questions: split must be "train" or "test", got ${JSON.stringify(split)}`,
      );
    }
    return qs;
  }

  /** A question of either split by id. */
  question(id: string): Question | undefined {
    return this.#byQuestionId.get(id);
  }

  /** The entity with this name (compared after answer normalisation), if any. */
  entityByName(name: string): Entity | undefined {
    return this.#byName.get(normalizeName(name));
  }

  /** Id of the document that states `relation` of entity `entityId`. */
  factDocId(entityId: number, relation: RelationId): string {
    const id = this.#data.factDocs[entityId]?.[relation];
    if (id === undefined) {
      throw new Error(`World.factDocId: entity ${entityId} has no "${relation}" fact`);
    }
    return id;
  }

  /** See {@link worldVocabulary}. */
  vocabulary(): string[] {
    return worldVocabulary(this.#data.config);
  }

  /** The privileged verifier (training only) at a level of detail. */
  verifier(opts: VerifierOptions): SearchWorldVerifier {
    return new SearchWorldVerifier(this, opts);
  }

  /** The oracle round judge (CW-GRPO) reading gold chains. */
  roundJudge(): RoundJudge {
    return new OracleRoundJudge();
  }

  /** The plain data (deterministic key order; `JSON.stringify` is byte-identical per seed). */
  toJSON(): WorldData {
    return this.#data;
  }
}
