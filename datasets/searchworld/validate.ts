/**
 * Validation of a SearchWorld {@link WorldConfig}: the first bad field is named, with what was
 * expected and what was given.
 * @module
 */
import { ENTITY_TYPES, RELATION_IDS } from "./schema.ts";
import { MAX_NAME_WORDS, nameCapacity } from "./names.ts";
import type { WorldConfig } from "./types.ts";
import { reservedWords } from "./world.ts";

function fail(field: string, expected: string, got: unknown): never {
  throw new Error(`WorldConfig.${field}: expected ${expected}, got ${JSON.stringify(got)}`);
}

function isInt(x: unknown, min: number): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= min;
}

/**
 * Throw a clear error naming the first bad field of `config`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { worldPreset } from "./presets.ts";
 * const c = worldPreset("easy");
 * c.passagesPerEntity = 0;
 * assert.throws(
 *   () => validateWorldConfig(c),
 *   /WorldConfig.passagesPerEntity: expected an integer >= 1, got 0/,
 * );
 * ```
 */
export function validateWorldConfig(config: WorldConfig): void {
  if (typeof config !== "object" || config === null) fail("", "an object", config);
  for (const t of ENTITY_TYPES) {
    if (!isInt(config.entities?.[t], 2)) {
      fail(`entities.${t}`, "an integer >= 2", config.entities?.[t]);
    }
  }
  if (config.entities.city < config.entities.country) {
    fail("entities.city", `>= entities.country (${config.entities.country})`, config.entities.city);
  }
  if (!Array.isArray(config.relations) || config.relations.length === 0) {
    fail("relations", "a non-empty array of relation ids", config.relations);
  }
  const seen = new Set<string>();
  for (const [i, r] of config.relations.entries()) {
    if (!(RELATION_IDS as readonly string[]).includes(r)) {
      fail(`relations[${i}]`, `one of ${RELATION_IDS.join(", ")}`, r);
    }
    if (seen.has(r)) fail(`relations[${i}]`, "no duplicate relation", r);
    seen.add(r);
  }
  checkHopMix(config.hops, "hops");
  if (config.testHops !== undefined) checkHopMix(config.testHops, "testHops");
  const s = config.distractorSimilarity;
  if (typeof s !== "number" || !(s >= 0 && s <= 1)) {
    fail("distractorSimilarity", "a number in [0, 1]", s);
  }
  if (!isInt(config.passagesPerEntity, 1)) {
    fail("passagesPerEntity", "an integer >= 1", config.passagesPerEntity);
  }
  if (config.attributes !== 0 && config.attributes !== 1) {
    fail("attributes", "0 or 1", config.attributes);
  }
  for (const split of ["train", "test"] as const) {
    if (!isInt(config.questions?.[split], 0)) {
      fail(`questions.${split}`, "an integer >= 0", config.questions?.[split]);
    }
  }
  if (!isInt(config.nameWords, 4) || config.nameWords > MAX_NAME_WORDS - reservedWords().size) {
    fail(
      "nameWords",
      `an integer in [4, ${MAX_NAME_WORDS - reservedWords().size}]`,
      config.nameWords,
    );
  }
  if (!isInt(config.nameLength, 1) || config.nameLength > 4) {
    fail("nameLength", "an integer in [1, 4]", config.nameLength);
  }
  if (!isInt(config.namespaces, 1)) fail("namespaces", "an integer >= 1", config.namespaces);
  if (!isInt(config.entityNamespace, 0) || config.entityNamespace >= config.namespaces) {
    fail(
      "entityNamespace",
      `an integer in [0, namespaces - 1 = ${config.namespaces - 1}]`,
      config.entityNamespace,
    );
  }
  const n = ENTITY_TYPES.reduce((a, t) => a + config.entities[t], 0);
  const cap = nameCapacity(config.nameWords, config.nameLength) / config.namespaces;
  if (n > cap / 2) {
    fail(
      "entities",
      `at most half the names of one namespace (${
        Math.floor(cap / 2)
      } for nameWords ${config.nameWords}, ` +
        `nameLength ${config.nameLength}, namespaces ${config.namespaces}); raise nameWords or nameLength`,
      n,
    );
  }
}

/** Check a hop mix: keys 1-4, finite weights >= 0, at least one positive. */
function checkHopMix(mix: unknown, field: string): void {
  if (typeof mix !== "object" || mix === null) fail(field, "an object {1..4: weight}", mix);
  let total = 0;
  for (const [k, w] of Object.entries(mix)) {
    if (!["1", "2", "3", "4"].includes(k)) {
      fail(`${field}.${k}`, "a hop count 1, 2, 3 or 4 as key", k);
    }
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      fail(`${field}.${k}`, "a finite weight >= 0", w);
    }
    total += w;
  }
  if (!(total > 0)) fail(field, "at least one positive weight", mix);
}
