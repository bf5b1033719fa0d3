/**
 * The SearchWorld generator: a seeded, deterministic synthetic knowledge base, passage corpus
 * and multi-hop questions with gold chains.
 *
 * Steps (each with its own forked `Rng` stream, so e.g. the question counts never change the
 * corpus):
 * 1. names: per type, entity i is, with probability `distractorSimilarity`, a near twin of a
 *    random earlier entity of its type (name shares all words but one), else a fresh name;
 * 2. facts: every relation of the type gets an object (never the entity itself); a twin
 *    copies each of its twin's facts with probability `distractorSimilarity`. The first
 *    `countries` cities are spread one per country, so every country has a city, and a
 *    country's capital is one of its cities;
 * 3. passages: each entity's facts (and filler attributes) are shuffled and split
 *    round-robin over `passagesPerEntity` passages, each opening with `<name> is a <type> .`;
 * 4. questions: hop counts get exact quotas from the mix (largest remainder), each question
 *    is a random walk of h relations from a random start entity with no entity repeated and
 *    no (start, path) repeated within or across splits; the list is then shuffled.
 *
 * Output is a pure function of (config, seed): `JSON.stringify(world)` is byte-identical for
 * the same inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWorld } from "./generate.ts";
 * import { worldPreset } from "./presets.ts";
 * const w = generateWorld(worldPreset("default"), { seed: 7 });
 * assert.equal(w.questions("test").length, worldPreset("default").questions.test);
 * ```
 * @module
 */
import { Rng } from "@creditlab/kernels";
import {
  ATTRIBUTE_IDS,
  ATTRIBUTES,
  ENTITY_TYPES,
  type EntityType,
  factSentence,
  hopQuery,
  questionText,
  RELATION_IDS,
  type RelationId,
  RELATIONS,
  relationsOf,
  typeSentence,
} from "./schema.ts";
import { nameInventory, NameSampler } from "./names.ts";
import type { Doc, Question } from "@creditlab/core";
import type { Entity, HopMix, Split, WorldConfig } from "./types.ts";
import { reservedWords, World, type WorldData } from "./world.ts";
import { validateWorldConfig } from "./validate.ts";

export { validateWorldConfig } from "./validate.ts";

/** Options of {@link generateWorld}. */
export interface GenerateOptions {
  /** Seed of every random choice. */
  seed: number;
}
/**
 * Exact per-hop quotas summing to `n`: floor(w_h / sum w * n), then the leftover questions go
 * to the largest remainders (ties to the smaller hop count; never to a zero weight).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(hopQuotas({ 1: 1, 2: 1, 3: 1 }, 10), [4, 3, 3, 0]);
 * ```
 */
export function hopQuotas(mix: HopMix, n: number): [number, number, number, number] {
  const w = [mix[1] ?? 0, mix[2] ?? 0, mix[3] ?? 0, mix[4] ?? 0];
  const total = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (x / total) * n);
  const q = exact.map(Math.floor) as [number, number, number, number];
  let rest = n - q.reduce((a, b) => a + b, 0);
  const order = [0, 1, 2, 3].sort((a, b) => (exact[b]! - q[b]!) - (exact[a]! - q[a]!) || a - b);
  for (const i of order) {
    if (rest === 0) break;
    if (w[i]! > 0) {
      q[i]! += 1;
      rest--;
    }
  }
  return q;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/**
 * Generate a world. Throws on a bad config (naming the field) or when the config cannot give
 * the requested number of distinct questions.
 */
export function generateWorld(config: WorldConfig, opts: GenerateOptions): World {
  validateWorldConfig(config);
  if (!Number.isInteger(opts.seed)) {
    throw new Error(`generateWorld: seed must be an integer, got ${opts.seed}`);
  }
  const cfg: WorldConfig = structuredClone(config);
  const rng = new Rng(opts.seed);
  const namesRng = rng.fork();
  const factsRng = rng.fork();
  const passRng = rng.fork();
  const questionRngs: Record<Split, Rng> = { train: rng.fork(), test: rng.fork() };
  const benchmark = cfg.entityNamespace === 0 ? "searchworld" : "searchworld-ood";
  const sim = cfg.distractorSimilarity;

  // 1. names
  const sampler = new NameSampler(nameInventory(cfg.nameWords, reservedWords()), {
    nameLength: cfg.nameLength,
    namespace: cfg.entityNamespace,
    namespaces: cfg.namespaces,
  });
  const entities: Entity[] = [];
  const byType: Record<EntityType, number[]> = { person: [], city: [], country: [], company: [] };
  for (const type of ENTITY_TYPES) {
    for (let i = 0; i < cfg.entities[type]; i++) {
      let name: string | null = null;
      let twinOf = -1;
      const ids = byType[type];
      if (ids.length > 0 && namesRng.next() < sim) {
        const base = pick(namesRng, ids);
        name = sampler.twin(namesRng, entities[base]!.name);
        if (name !== null) twinOf = base;
      }
      if (name === null) name = sampler.fresh(namesRng);
      const id = entities.length;
      entities.push({ id, name, type, relations: {}, attributes: {}, twinOf });
      ids.push(id);
    }
  }

  // 2. facts
  const has = (r: RelationId) => cfg.relations.includes(r);
  const citiesOf = new Map<number, number[]>();
  for (const e of entities) {
    for (const r of RELATION_IDS) {
      if (RELATIONS[r].subject !== e.type || !has(r) || r === "capital") continue;
      const pool = byType[RELATIONS[r].object];
      let obj: number | undefined;
      const cityIndex = e.type === "city" ? e.id - byType.city[0]! : -1; // ids of a type are contiguous
      if (r === "country" && cityIndex < byType.country.length) {
        obj = byType.country[cityIndex]!;
      } else if (e.twinOf >= 0 && factsRng.next() < sim) {
        const copied = entities[e.twinOf]!.relations[r];
        if (copied !== undefined && copied !== e.id) obj = copied;
      }
      while (obj === undefined || obj === e.id) obj = pick(factsRng, pool);
      e.relations[r] = obj;
      if (r === "country") {
        const list = citiesOf.get(obj) ?? [];
        list.push(e.id);
        citiesOf.set(obj, list);
      }
    }
  }
  if (has("capital")) {
    for (const c of byType.country) {
      const own = citiesOf.get(c);
      entities[c]!.relations.capital = own && own.length > 0
        ? pick(factsRng, own)
        : pick(factsRng, byType.city);
    }
  }
  if (cfg.attributes === 1) {
    for (const e of entities) {
      for (const a of ATTRIBUTE_IDS) {
        if (ATTRIBUTES[a].subject === e.type) {
          e.attributes[a] = pick(factsRng, ATTRIBUTES[a].values);
        }
      }
    }
  }

  // 3. passages
  const corpus: Doc[] = [];
  const factDocs: WorldData["factDocs"] = [];
  for (const e of entities) {
    const facts: { relation: RelationId | null; sentence: string }[] = [];
    for (const r of RELATION_IDS) {
      const o = e.relations[r];
      if (o !== undefined) {
        facts.push({ relation: r, sentence: factSentence(r, e.name, entities[o]!.name) });
      }
    }
    for (const a of ATTRIBUTE_IDS) {
      const v = e.attributes[a];
      if (v !== undefined) facts.push({ relation: null, sentence: factSentence(a, e.name, v) });
    }
    passRng.shuffle(facts);
    const p = Math.max(1, Math.min(cfg.passagesPerEntity, facts.length));
    const docFacts = new Map<RelationId, string>();
    for (let j = 0; j < p; j++) {
      const id = `${benchmark}-${e.id}-${j}`;
      const parts = [typeSentence(e.name, e.type)];
      for (let k = j; k < facts.length; k += p) {
        parts.push(facts[k]!.sentence);
        const rel = facts[k]!.relation;
        if (rel !== null) docFacts.set(rel, id);
      }
      corpus.push({ id, title: e.name, text: parts.join(" ") });
    }
    const fd: Partial<Record<RelationId, string>> = {};
    for (const r of RELATION_IDS) {
      const d = docFacts.get(r);
      if (d !== undefined) fd[r] = d;
    }
    factDocs.push(fd);
  }

  // 4. questions
  const relsOf: Record<EntityType, RelationId[]> = {
    person: relationsOf("person", cfg.relations),
    city: relationsOf("city", cfg.relations),
    country: relationsOf("country", cfg.relations),
    company: relationsOf("company", cfg.relations),
  };
  const starts = entities.filter((e) => relsOf[e.type].length > 0);
  const usedKeys = new Set<string>();
  const questions: Record<Split, Question[]> = { train: [], test: [] };
  for (const split of ["train", "test"] as const) {
    const qrng = questionRngs[split];
    const mix = split === "test" ? cfg.testHops ?? cfg.hops : cfg.hops;
    const quotas = hopQuotas(mix, cfg.questions[split]);
    const out: Question[] = [];
    for (let hi = 0; hi < 4; hi++) {
      const h = hi + 1;
      const want = quotas[hi]!;
      let made = 0;
      let attempts = 0;
      while (made < want) {
        if (++attempts > 200 * want + 1000) {
          throw new Error(
            `generateWorld: could only make ${made} of ${want} distinct ${h}-hop ${split} questions; ` +
              `lower WorldConfig.questions.${split}, change WorldConfig.${
                split === "test" ? "testHops" : "hops"
              }, or add entities/relations`,
          );
        }
        const start = pick(qrng, starts);
        const path: RelationId[] = [];
        const chain: Entity[] = [start];
        let ok = true;
        for (let k = 0; k < h && ok; k++) {
          const cur = chain[chain.length - 1]!;
          const rels = relsOf[cur.type];
          if (rels.length === 0) {
            ok = false;
            break;
          }
          const r = pick(qrng, rels);
          const next = entities[cur.relations[r]!]!;
          if (chain.includes(next)) ok = false;
          path.push(r);
          chain.push(next);
        }
        if (!ok) continue;
        const key = `${start.id}:${path.join(",")}`;
        if (usedKeys.has(key)) continue;
        usedKeys.add(key);
        made++;
        const answer = chain[chain.length - 1]!;
        out.push({
          id: "",
          question: questionText(start.name, path),
          goldenAnswers: [answer.name],
          goldEntities: chain.slice(1).map((e) => e.name),
          goldChain: path.map((r, k) => ({
            query: hopQuery(chain[k]!.name, r),
            entity: chain[k + 1]!.name,
            relation: r,
          })),
          benchmark,
          split,
          metadata: {
            hops: h,
            start: start.name,
            startType: start.type,
            answerType: answer.type,
            relations: [...path],
            entityIds: chain.map((e) => e.id),
          },
        });
      }
    }
    qrng.shuffle(out);
    out.forEach((q, i) => (q.id = `${benchmark}-${split}-${i}`));
    questions[split] = out;
  }

  return new World({
    benchmark,
    seed: opts.seed,
    config: cfg,
    entities,
    corpus,
    questions,
    factDocs,
  });
}
