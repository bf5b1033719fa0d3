/**
 * The privileged verifier of SearchWorld (CAPF, arXiv 2606.01830): given a question and a
 * draft answer it says whether and how the draft is wrong, reading the gold chain. Training
 * only: evaluation never offers it.
 *
 * Diagnosis (first rule that applies; names compared after Search-R1 `normalize_answer`):
 * 1. no gold chain or golden answer, or the answer entity is not in this world -> `unknown`;
 * 2. the draft equals a golden answer -> `correct`;
 * 3. the draft is the start entity or a bridge entity of the chain -> `wrong-hop` (even when
 *    its type also differs: CAPF's "Sochi is the host city, not the country" case is the
 *    bridge city of a 2-hop chain, and the text then names both types);
 * 4. the draft is no entity of the world (empty, garbled, or part of a name) -> `missing-entity`;
 * 5. the draft is an entity of another type than the answer -> `wrong-type`;
 * 6. otherwise (an entity of the right type, off the chain, e.g. a near-twin) -> `wrong`.
 *
 * Detail levels (the `kind` returned is what the text reveals):
 * - `correctness`: kind `correct`, `wrong` or `unknown`; text "correct : the answer is right ."
 *   or "wrong : the answer is not right .";
 * - `error-type`: the full kind and a sentence naming the error (types, hops left);
 * - `hint`: as `error-type`, plus a hint naming the relation to follow next (never the answer
 *   or a bridge entity; the start entity, which the question names, may appear).
 *
 * Every text is made of the world's vocabulary ({@link VERIFIER_WORDS}, types, relation ids,
 * start names), space separated, so a word-level policy reads it without unknown tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWorld, worldPreset } from "./mod.ts";
 * const w = generateWorld(worldPreset("easy"), { seed: 1 });
 * const q = w.questions("train").find((q) => q.goldChain!.length === 2)!;
 * const fb = await w.verifier({ detail: "hint" }).verify(q, q.goldChain![0]!.entity);
 * assert.equal(fb.kind, "wrong-hop");
 * fb.text; // e.g. "wrong hop : you gave an intermediate city on the path , ..."
 * ```
 * @module
 */
import type { EntityType, RelationId } from "./schema.ts";
import { RELATION_IDS, RELATIONS } from "./schema.ts";
import type {
  FeedbackDetail,
  FeedbackKind,
  PrivilegedVerifier,
  Question,
  VerifierFeedback,
} from "@creditlab/core";
import type { World } from "./world.ts";
import { normalizeAnswer } from "../metrics.ts";

/** How much the verifier reveals. */
export type VerifierDetail = FeedbackDetail;

/** Options of `world.verifier`. */
export interface VerifierOptions {
  detail: VerifierDetail;
}

/** Words the verifier's texts use besides types, relation ids and names. */
// deno-fmt-ignore
export const VERIFIER_WORDS: readonly string[] = [
  "correct", "the", "answer", "is", "right", "wrong", "hop", "hops", "you", "gave", "an",
  "intermediate", "on", "path", "not", "final", "entity", "question", "asks", "for", "a",
  "follow", "more", "one", "two", "three", "four", "named", "in", "type", "missing", "your",
  "names", "no", "give", "full", "name", "of", "unknown", "verdict", "this", "but", "hint",
  "next", "relation", "that", "last", "part", "similar", "check", "start", "with", ":", ",", ".",
];

const NUMBER_WORDS = ["zero", "one", "two", "three", "four"];

/**
 * Names are compared after Search-R1 / FlashRAG `normalize_answer` (datasets/metrics.ts:
 * lower-case, remove punctuation, remove the articles a/an/the, collapse whitespace), so the
 * verifier says `correct` exactly when the exact-match outcome reward is 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(normalizeName("  The Vorla-Tesin. "), "vorlatesin");
 * ```
 */
export function normalizeName(s: string): string {
  return normalizeAnswer(s);
}

/** The full diagnosis of a draft (independent of the detail level). */
export interface Diagnosis {
  kind: FeedbackKind;
  /** Type of the question's answer, when known. */
  answerType?: EntityType;
  /** Type of the draft's entity, when the draft names one. */
  draftType?: EntityType;
  /** For `wrong-hop`: hops still to follow from the draft (1 = the draft is the last bridge). */
  hopsLeft?: number;
  /** For `wrong-hop`: the relation to follow next from the draft. */
  nextRelation?: RelationId;
  /** For `missing-entity`: the draft's words are a strict part of a chain entity's name. */
  partialName?: boolean;
  /** For `wrong`: the draft shares a name word with a chain entity (a near twin). */
  similarName?: boolean;
}

function isRelation(r: string | undefined): r is RelationId {
  return r !== undefined && (RELATION_IDS as readonly string[]).includes(r);
}

/** The start entity of a question: `metadata.start`, else hop 1's query minus its relation. */
export function startEntity(q: Question): string | undefined {
  const s = q.metadata?.["start"];
  if (typeof s === "string") return s;
  const step = q.goldChain?.[0];
  if (!step) return undefined;
  const words = step.query.split(/\s+/);
  if (step.relation !== undefined && words[words.length - 1] === step.relation) words.pop();
  return words.join(" ");
}

/** The privileged verifier of one world. */
export class SearchWorldVerifier implements PrivilegedVerifier {
  readonly #world: World;
  readonly detail: VerifierDetail;

  constructor(world: World, opts: VerifierOptions) {
    if (!["correctness", "error-type", "hint"].includes(opts.detail)) {
      throw new Error(
        `verifier: detail must be "correctness", "error-type" or "hint", got ${
          JSON.stringify(opts.detail)
        }`,
      );
    }
    this.#world = world;
    this.detail = opts.detail;
  }

  /** Diagnose a draft (see the module doc for the rules). */
  diagnose(question: Question, draft: string): Diagnosis {
    const chain = question.goldChain;
    const gold = question.goldenAnswers[0];
    if (!chain || chain.length === 0 || gold === undefined) return { kind: "unknown" };
    const answer = this.#world.entityByName(gold);
    if (!answer) return { kind: "unknown" };
    const answerType = answer.type;
    const d = normalizeName(draft);
    if (question.goldenAnswers.some((a) => normalizeName(a) === d)) {
      return { kind: "correct", answerType };
    }
    const start = startEntity(question);
    const path = [start ?? "", ...chain.map((s) => s.entity)].map(normalizeName);
    const pos = path.slice(0, -1).indexOf(d);
    const draftEntity = d === "" ? undefined : this.#world.entityByName(d);
    if (pos >= 0 && d !== "") {
      const next = chain[pos]!.relation;
      const out: Diagnosis = { kind: "wrong-hop", answerType, hopsLeft: chain.length - pos };
      if (draftEntity) out.draftType = draftEntity.type;
      if (isRelation(next)) out.nextRelation = next;
      return out;
    }
    const draftWords = new Set(d.split(" ").filter((w) => w !== ""));
    if (!draftEntity) {
      const partialName = draftWords.size > 0 && path.some((n) => {
        const nw = n.split(" ");
        return nw.length > draftWords.size && [...draftWords].every((w) => nw.includes(w));
      });
      return { kind: "missing-entity", answerType, partialName };
    }
    if (draftEntity.type !== answerType) {
      return { kind: "wrong-type", answerType, draftType: draftEntity.type };
    }
    const similarName = path.some((n) => n.split(" ").some((w) => draftWords.has(w)));
    return { kind: "wrong", answerType, draftType: draftEntity.type, similarName };
  }

  /** Verify a draft: the diagnosis rendered at this verifier's detail level. */
  verify(question: Question, draft: string): Promise<VerifierFeedback> {
    return Promise.resolve(this.feedback(question, draft));
  }

  /** Synchronous {@link verify}. */
  feedback(question: Question, draft: string): VerifierFeedback {
    const dg = this.diagnose(question, draft);
    if (dg.kind === "correct") {
      return { correct: true, kind: "correct", text: "correct : the answer is right ." };
    }
    if (dg.kind === "unknown") {
      return { correct: false, kind: "unknown", text: "unknown : no verdict for this question ." };
    }
    if (this.detail === "correctness") {
      return { correct: false, kind: "wrong", text: "wrong : the answer is not right ." };
    }
    let text = errorText(dg, question);
    if (this.detail === "hint") text += " " + hintText(dg, question);
    return { correct: false, kind: dg.kind, text };
  }
}

function errorText(dg: Diagnosis, q: Question): string {
  const want = dg.answerType ?? "entity";
  switch (dg.kind) {
    case "wrong-hop": {
      const n = dg.hopsLeft ?? 1;
      const more = `follow ${NUMBER_WORDS[n] ?? "more"} more ${n === 1 ? "hop" : "hops"} .`;
      const isStart = n === (q.goldChain?.length ?? -1);
      const gave = dg.draftType ?? "entity";
      return isStart
        ? `wrong hop : you gave the ${gave} named in the question . the question asks for a ${want} . ${more}`
        : `wrong hop : you gave an intermediate ${gave} on the path , not the final entity . ` +
          `the question asks for a ${want} . ${more}`;
    }
    case "wrong-type":
      return `wrong type : you gave a ${
        dg.draftType ?? "entity"
      } , the question asks for a ${want} .`;
    case "missing-entity":
      return "missing entity : your answer names no entity . give the full name of one entity .";
    case "wrong":
      return `wrong : you gave a ${want} , the right type , but not the right one .`;
    default:
      return "wrong : the answer is not right .";
  }
}

function hintText(dg: Diagnosis, q: Question): string {
  const chain = q.goldChain ?? [];
  const last = chain[chain.length - 1]?.relation;
  const lastRel = isRelation(last) ? last : undefined;
  const lastSubjectType = lastRel ? RELATIONS[lastRel].subject : undefined;
  switch (dg.kind) {
    case "wrong-hop":
      return dg.nextRelation
        ? `hint : next follow the ${dg.nextRelation} relation of that ${dg.draftType ?? "entity"} .`
        : "hint : follow the path to the final entity .";
    case "wrong-type":
      return lastRel
        ? `hint : the last hop is the ${lastRel} relation of a ${lastSubjectType} .`
        : "hint : check the type the question asks for .";
    case "missing-entity": {
      if (dg.partialName) return "hint : your answer is part of a name , give the full name .";
      const first = chain[0]?.relation;
      const start = startEntity(q);
      return isRelation(first) && start
        ? `hint : start with the ${first} relation of ${start} .`
        : "hint : give the full name of one entity .";
    }
    case "wrong":
      return dg.similarName
        ? "hint : a similar name is on the path , check the full name ."
        : lastRel
        ? `hint : check the ${lastRel} relation of the last ${lastSubjectType} on the path .`
        : "hint : check the path .";
    default:
      return "";
  }
}
