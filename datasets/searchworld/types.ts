/**
 * SearchWorld types: the world configuration, its splits and entities. The canonical
 * `Question`, `Doc`, verifier and judge types are in @creditlab/core.
 * @module
 */
import type { AttributeId, EntityType, RelationId } from "./schema.ts";

/** Question splits of a world. */
export type Split = "train" | "test";

/** Weights of hop counts 1..4 (need not sum to 1; zero or missing = never). */
export interface HopMix {
  1?: number;
  2?: number;
  3?: number;
  4?: number;
}

/**
 * Knobs of the generator. Every field is required; start from `worldPreset(name)` and
 * override what you need.
 */
export interface WorldConfig {
  /** Entities per type (cities >= countries >= 1, every count >= 2). */
  entities: Record<EntityType, number>;
  /** Relations present in the world (questions follow only these). */
  relations: RelationId[];
  /** Hop-count mix of the questions (1-4 hops). */
  hops: HopMix;
  /**
   * Hop-count mix of the test split alone (default: `hops`). The world, its training questions
   * and every other split are the same whatever it is, so a held-out pool can be drawn from a
   * few hop counts (an experiment regime's) without a larger world.
   */
  testHops?: HopMix;
  /**
   * Distractor similarity in [0, 1]: the probability that an entity is made a near twin of an
   * earlier entity of the same type (its name shares all words but one), and, for a twin, the
   * probability that each of its relation facts copies the twin's.
   */
  distractorSimilarity: number;
  /** Passages per entity (>= 1); an entity's facts are split round-robin over them. */
  passagesPerEntity: number;
  /** Filler attribute facts per entity (0 or 1; never asked about). */
  attributes: 0 | 1;
  /** Questions per split. */
  questions: Record<Split, number>;
  /** Size of the name word inventory (shared across namespaces and seeds). */
  nameWords: number;
  /** Words per entity name (>= 1). */
  nameLength: number;
  /**
   * Entity namespace: 0 = the training world; any other value gives a world with the same
   * relations, templates and word inventory but entity names no namespace-0 world uses
   * (the out-of-domain test world, benchmark "searchworld-ood").
   */
  entityNamespace: number;
  /** Number of namespace classes the name space is split into (>= entityNamespace + 1). */
  namespaces: number;
}

/** One entity of the knowledge base. */
export interface Entity {
  /** Index in `world.entities`. */
  id: number;
  name: string;
  type: EntityType;
  /** Relation facts: relation id -> object entity id (every relation of the type is present). */
  relations: Partial<Record<RelationId, number>>;
  /** Filler attributes (empty when `attributes` is 0). */
  attributes: Partial<Record<AttributeId, string>>;
  /** Id of the entity this one is a near twin of, or -1. */
  twinOf: number;
}
