/**
 * The data sources an environment service answers for (a SearchWorld world, a QA benchmark),
 * and how an item names its question: by `question_id` (with `data_source` and `split` when
 * the id alone is ambiguous) or inline (`question`, `answers`).
 *
 * @module
 */
import type { FeedbackDetail, PrivilegedVerifier, Question, RoundJudge } from "@creditlab/core";
import type { FieldReader } from "./request.ts";

/** What kind of data a source serves. */
export type SourceKind = "searchworld" | "benchmark";

/** SearchWorld's privileged verifier and oracle round judge (they read the gold chains). */
export interface OracleBackend {
  /** The privileged verifier at a detail level. */
  verifier(detail: FeedbackDetail): PrivilegedVerifier;
  /** The oracle round judge. */
  readonly judge: RoundJudge;
}

/** One data source of the service. */
export interface EnvSource {
  /** The `data_source` name items use (`searchworld`, `nq`, ...). */
  readonly dataSource: string;
  readonly kind: SourceKind;
  /** Number of questions served. */
  readonly size: number;
  /** The questions with this id (several when two splits reuse an id). */
  lookup(id: string): readonly Question[];
  /** Verifier and judge of the source itself (SearchWorld); null: the LLM backend answers. */
  readonly oracle: OracleBackend | null;
  /** What `GET /v1/info` says about the source. */
  readonly info: Readonly<Record<string, unknown>>;
}

/**
 * Questions indexed by id (a list per id: splits may reuse ids).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = { id: "a", question: "?", goldenAnswers: ["x"], benchmark: "nq", split: "test" };
 * assert.deepEqual(indexQuestions([q]).get("a"), [q]);
 * ```
 */
export function indexQuestions(questions: Iterable<Question>): Map<string, Question[]> {
  const byId = new Map<string, Question[]>();
  for (const q of questions) {
    const list = byId.get(q.id);
    if (list) list.push(q);
    else byId.set(q.id, [q]);
  }
  return byId;
}

/** The sources of one service, by `data_source` name (each name once). */
export class SourceSet {
  readonly #byName = new Map<string, EnvSource>();

  /**
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.deepEqual(new SourceSet([]).names, []);
   * ```
   */
  constructor(sources: readonly EnvSource[]) {
    for (const s of sources) {
      if (this.#byName.has(s.dataSource)) {
        throw new Error(`environment: data source ${JSON.stringify(s.dataSource)} given twice`);
      }
      this.#byName.set(s.dataSource, s);
    }
  }

  /** Names of the sources, in the order given. */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Every source, in the order given. */
  get all(): EnvSource[] {
    return [...this.#byName.values()];
  }

  /** The source named `name`, if served. */
  get(name: string): EnvSource | undefined {
    return this.#byName.get(name);
  }
}

/** The fields an item uses to name its question (every route accepts them). */
export const QUESTION_FIELDS = ["data_source", "question_id", "split", "question", "answers"];

/**
 * An item's question as errors name it: `question <data source>/<id>` when `source` serves it,
 * else "an inline question".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = { id: "q1", question: "who?", goldenAnswers: ["Ann"], benchmark: "nq", split: "test" };
 * assert.equal(questionLabel(q, null), "an inline question");
 * ```
 */
export function questionLabel(question: Question, source: EnvSource | null): string {
  return source ? `question ${source.dataSource}/${question.id}` : "an inline question";
}

/** An item's question and the source that serves it (null for an inline question). */
export interface ResolvedQuestion {
  question: Question;
  source: EnvSource | null;
}

/** What an inline question must carry on a route. */
export interface InlineNeeds {
  /** The question's text is required (an LLM reads it). */
  question: boolean;
  /** Golden answers are required (a verifier or a reward compares with them). */
  answers: boolean;
}

/**
 * The question an item names: by `question_id` (in `data_source` when given, else in any
 * source; `split` narrows it) or inline (`question`, `answers`; `data_source` is then only a
 * label). Errors are 400s naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FieldReader } from "./request.ts";
 * const item = FieldReader.of({ question: "who?", answers: "Ann" }, { at: "", allowed: QUESTION_FIELDS });
 * const { question, source } = resolveQuestion(item, new SourceSet([]), { question: true, answers: true });
 * assert.deepEqual(question.goldenAnswers, ["Ann"]);
 * assert.equal(source, null);
 * ```
 */
export function resolveQuestion(
  item: FieldReader,
  sources: SourceSet,
  needs: InlineNeeds,
): ResolvedQuestion {
  const dataSource = item.optionalString("data_source");
  const id = item.optionalString("question_id");
  if (id === undefined) {
    if (item.has("split")) throw item.fail("split", "only meaningful with question_id");
    const text = item.optionalString("question");
    const answers = item.optionalStrings("answers", { single: true, nonEmpty: true });
    if (needs.question && text === undefined) {
      throw item.fail("question", "expected a string (or question_id of a served question)");
    }
    if (needs.answers && answers === undefined) {
      throw item.fail(
        "answers",
        "expected the golden answers, a list of strings (or question_id of a served question)",
      );
    }
    return {
      question: {
        id: "inline",
        question: text ?? "",
        goldenAnswers: answers ?? [],
        benchmark: dataSource ?? "inline",
        split: "inline",
      },
      source: null,
    };
  }
  for (const f of ["question", "answers"]) {
    if (item.has(f)) {
      throw item.fail(f, "give question_id (a served question) or the question inline, not both");
    }
  }
  const split = item.optionalString("split");
  let candidates: EnvSource[];
  if (dataSource !== undefined) {
    const s = sources.get(dataSource);
    if (!s) {
      throw item.fail(
        "data_source",
        `${JSON.stringify(dataSource)} is not served here (served: ${
          sources.names.join(", ") || "none"
        })`,
      );
    }
    candidates = [s];
  } else candidates = sources.all;
  const found: ResolvedQuestion[] = [];
  for (const s of candidates) {
    for (const q of s.lookup(id)) {
      if (split === undefined || q.split === split) found.push({ question: q, source: s });
    }
  }
  if (found.length === 0) {
    throw item.fail(
      "question_id",
      `no question ${JSON.stringify(id)}${split === undefined ? "" : ` of split ${split}`} in ${
        candidates.map((s) => s.dataSource).join(", ") || "any served source (none served)"
      }`,
    );
  }
  if (found.length > 1) {
    const where = found.map((f) => `${f.source!.dataSource}/${f.question.split}`);
    const bySource = new Set(found.map((f) => f.source!.dataSource)).size > 1;
    throw item.fail(
      bySource ? "data_source" : "split",
      `question_id ${JSON.stringify(id)} is ambiguous (${where.join(", ")}); give ${
        bySource ? "data_source" : "split"
      }`,
    );
  }
  return found[0]!;
}
