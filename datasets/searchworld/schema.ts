/**
 * The SearchWorld ontology: entity types, relations (functional, entity-valued), filler
 * attributes, and the sentence and question templates built from them.
 *
 * Every relation is a total function `subject type -> object type` and its id is a single
 * English noun that is used, verbatim, in three places, so that the question, the query and
 * the passage share words (what a tiny word-level policy can learn to copy):
 *
 * - passage sentence: `the <relation> of <subject> is <object> .`
 * - gold query:       `<subject> <relation>`
 * - question:         `which <answer type> is the <r_h> of the <r_h-1> of ... the <r_1> of <start> ?`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { factSentence, questionText } from "./schema.ts";
 * assert.equal(
 *   factSentence("employer", "vorla keth", "sarn tolu"),
 *   "the employer of vorla keth is sarn tolu .",
 * );
 * assert.equal(
 *   questionText("vorla keth", ["employer", "founder"]),
 *   "which person is the founder of the employer of vorla keth ?",
 * );
 * ```
 * @module
 */

/** The entity types of SearchWorld. */
export type EntityType = "person" | "city" | "country" | "company";

/** All entity types, in a fixed order. */
export const ENTITY_TYPES: readonly EntityType[] = ["person", "city", "country", "company"];

/** Relation ids (each a single noun, used in questions, queries and passages). */
export type RelationId =
  | "birthplace"
  | "employer"
  | "teacher"
  | "founder"
  | "headquarters"
  | "country"
  | "mayor"
  | "capital"
  | "leader";

/** Signature of a relation. */
export interface RelationDef {
  subject: EntityType;
  object: EntityType;
}

/** The full relation set. `capital` always names a city located in that country. */
export const RELATIONS: Readonly<Record<RelationId, RelationDef>> = {
  birthplace: { subject: "person", object: "city" },
  employer: { subject: "person", object: "company" },
  teacher: { subject: "person", object: "person" },
  founder: { subject: "company", object: "person" },
  headquarters: { subject: "company", object: "city" },
  country: { subject: "city", object: "country" },
  mayor: { subject: "city", object: "person" },
  capital: { subject: "country", object: "city" },
  leader: { subject: "country", object: "person" },
};

/** All relation ids, in a fixed order. */
export const RELATION_IDS: readonly RelationId[] = Object.keys(RELATIONS) as RelationId[];

/** Filler attributes (never asked about; they make passages longer and more alike). */
export type AttributeId = "hobby" | "product" | "climate" | "size";

/** Attribute definitions: which type carries it and its closed value set. */
export const ATTRIBUTES: Readonly<
  Record<AttributeId, { subject: EntityType; values: readonly string[] }>
> = {
  hobby: {
    subject: "person",
    values: ["chess", "music", "rowing", "poetry", "dancing", "painting", "fishing", "riding"],
  },
  product: {
    subject: "company",
    values: ["ships", "bread", "lamps", "paper", "glass", "tools", "wine", "cloth"],
  },
  climate: { subject: "city", values: ["cold", "dry", "wet", "warm", "windy", "mild"] },
  size: { subject: "country", values: ["small", "large", "vast", "tiny"] },
};

/** All attribute ids, in a fixed order. */
export const ATTRIBUTE_IDS: readonly AttributeId[] = Object.keys(ATTRIBUTES) as AttributeId[];

/** Relations whose subject is `type`, restricted to `allowed`, in {@link RELATION_IDS} order. */
export function relationsOf(type: EntityType, allowed: readonly RelationId[]): RelationId[] {
  return RELATION_IDS.filter((r) => RELATIONS[r].subject === type && allowed.includes(r));
}

/** The type sentence that opens every passage: `<name> is a <type> .` */
export function typeSentence(name: string, type: EntityType): string {
  return `${name} is a ${type} .`;
}

/**
 * A relation or attribute fact: `the <relation> of <subject> is <object> .`
 *
 * The subject is named in every fact (not "its ..."): its name's term frequency in its own
 * passages then beats passages that mention it once as an object, which keeps the gold
 * passage in BM25's top 3 even among near-twin names with copied facts.
 */
export function factSentence(relation: string, subject: string, object: string): string {
  return `the ${relation} of ${subject} is ${object} .`;
}

/** The gold query of one hop: `<subject> <relation>`. */
export function hopQuery(subject: string, relation: RelationId): string {
  return `${subject} ${relation}`;
}

/**
 * The question for a relation path followed from `start`: relations are listed innermost
 * first (`path[0]` is the first hop). The answer type is the last relation's object type.
 */
export function questionText(start: string, path: readonly RelationId[]): string {
  if (path.length === 0) throw new Error("questionText: path must have at least one relation");
  const last = path[path.length - 1]!;
  const nouns = [...path].reverse().map((r) => `the ${r} of`).join(" ");
  return `which ${RELATIONS[last].object} is ${nouns} ${start} ?`;
}

/** Words used by the templates above (besides names, relation ids, types and attribute values). */
export const TEMPLATE_WORDS: readonly string[] = ["which", "is", "the", "of", "a", ".", "?"];
