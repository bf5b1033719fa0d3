/**
 * The progress file of one benchmark of an endpoint evaluation, so that an interrupted
 * evaluation (SIGINT, SIGKILL, a crash, a lost machine) resumes with the questions it had not
 * answered yet: `deno task eval` re-run with the same arguments asks only those.
 *
 * Why a JSONL file and not rows in the run store: a question's outcome is one small append,
 * made durable with one `fdatasync` as soon as the question ends (a DuckDB transaction per
 * question would do the same work through the WAL and the store's one writer queue); the file
 * holds partial state that must never be read as an evaluation (the store's `evals` row is
 * written once, whole, when the benchmark ends, and the file is then deleted); a kill can tear
 * only the last line, which is recognisable (no newline) and dropped; and it needs no schema
 * change. It lives beside the run store: `<out>/eval-progress/<run id>/<benchmark>.jsonl`.
 *
 * Format: line 1 is a header naming the run, the benchmark, the evaluation's config (policy,
 * model, prompt, entity coding, decoding, ...) and the questions (count and SHA-256 of their
 * ids, texts and golden answers); it is written to a temporary file, synced and renamed into
 * place, so a progress file always has a whole header. Each further line is one question's
 * outcome: `{"i", "id", "answer", "toolCalls", "failure"}` (index in the question list, id, the
 * final answer or null, search calls, and the reason when the question was a recorded
 * failure: failures are outcomes, reused like answers).
 *
 * Reading it back: a last line without its newline (the process was killed while writing it)
 * is dropped with a log line and cut off the file; a header that does not match the evaluation
 * being run is refused, naming the file and the first field that differs (resuming it would
 * mix two evaluations; delete the file or run with `--fresh`); any other bad line is refused
 * naming the file, line and field.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Question } from "@creditlab/core";
import type { QuestionOutcome } from "./evaluate_endpoint.ts";

/** What a progress file is for: checked against its header on resume. */
export interface ProgressIdentity {
  /** The run id the evaluation is recorded under. */
  run: string;
  benchmark: string;
  /** The evaluation's config (the run's config): any JSON. */
  config: unknown;
}

/** Options of {@link EvalProgress.open}. */
export interface EvalProgressOptions extends ProgressIdentity {
  /** The questions, in evaluation order. */
  questions: readonly Question[];
  /** Where notes go (the dropped torn line); default console.error. */
  log?: (line: string) => void;
}

const KIND = "creditlab-eval-progress";
const VERSION = 1;

/**
 * An open progress file: the outcomes recorded before ({@link EvalProgress.answered}) and
 * {@link EvalProgress.record} to append one, durably, as its question ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const dir = await Deno.makeTempDir();
 * const path = join(dir, "nq.jsonl");
 * const questions = [{ id: "q1", question: "who?", goldenAnswers: ["bob"], benchmark: "nq", split: "test" }];
 * const id = { run: "r0001-eval-s1", benchmark: "nq", config: { policy: "http://127.0.0.1:8000" } };
 * const first = await EvalProgress.open(path, { ...id, questions });
 * await first.record(0, { answer: "bob", toolCalls: 1, failure: null });
 * await first.close();
 * const again = await EvalProgress.open(path, { ...id, questions }); // after a kill: reused
 * assert.deepEqual(again.answered.get(0), { answer: "bob", toolCalls: 1, failure: null });
 * await again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class EvalProgress {
  /** The file. */
  readonly path: string;
  /** Outcomes recorded before this open, by question index. */
  readonly answered: ReadonlyMap<number, QuestionOutcome>;
  readonly #file: Deno.FsFile;
  readonly #questions: readonly Question[];
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    path: string,
    file: Deno.FsFile,
    state: { answered: Map<number, QuestionOutcome>; questions: readonly Question[] },
  ) {
    this.path = path;
    this.#file = file;
    this.answered = state.answered;
    this.#questions = state.questions;
  }

  /**
   * Open the progress file at `path`: create it (with its header) when absent, else check its
   * header against `opts` and read the outcomes it holds (see the module doc for what is
   * dropped and what is refused).
   */
  static async open(path: string, opts: EvalProgressOptions): Promise<EvalProgress> {
    const log = opts.log ?? ((l: string) => console.error(l));
    const header = {
      kind: KIND,
      version: VERSION,
      run: opts.run,
      benchmark: opts.benchmark,
      config: opts.config,
      questions: { n: opts.questions.length, sha256: await questionsDigest(opts.questions) },
    };
    let text: string | null = null;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const answered = new Map<number, QuestionOutcome>();
    if (text === null) {
      await Deno.mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${Deno.pid}`;
      try {
        const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
        try {
          await writeAll(f, new TextEncoder().encode(`${JSON.stringify(header)}\n`));
          await f.syncData();
        } finally {
          f.close();
        }
        await Deno.rename(tmp, path);
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
    } else {
      const keep = parse(text, { path, header, questions: opts.questions, answered, log });
      if (keep < new TextEncoder().encode(text).length) await Deno.truncate(path, keep);
    }
    const file = await Deno.open(path, { append: true });
    return new EvalProgress(path, file, { answered, questions: opts.questions });
  }

  /**
   * Append question `index`'s outcome and sync it to disk; resolves once it is durable. Calls
   * are written one at a time, in call order.
   */
  record(index: number, outcome: QuestionOutcome): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.path}: progress file is closed`));
    const q = this.#questions[index];
    if (q === undefined) {
      return Promise.reject(new RangeError(`${this.path}: no question ${index} to record`));
    }
    const line = JSON.stringify({ i: index, id: q.id, ...outcome });
    const bytes = new TextEncoder().encode(`${line}\n`);
    const write = async () => {
      await writeAll(this.#file, bytes);
      await this.#file.syncData();
    };
    const p = this.#queue.then(write);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Close the file once the writes already asked for are done; later records are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    this.#file.close();
  }

  /** Close and delete the file (its benchmark is recorded in the run store). */
  async remove(): Promise<void> {
    await this.close();
    await Deno.remove(this.path).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}

/** SHA-256 (hex) of the questions' ids, texts and golden answers, in order. */
async function questionsDigest(questions: readonly Question[]): Promise<string> {
  const json = JSON.stringify(questions.map((q) => [q.id, q.question, q.goldenAnswers]));
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(json));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Check the header and read the outcomes of `text` into `ctx.answered`; returns the byte
 * length to keep (the torn last line cut off).
 */
function parse(
  text: string,
  ctx: {
    path: string;
    header: Record<string, unknown>;
    questions: readonly Question[];
    answered: Map<number, QuestionOutcome>;
    log: (line: string) => void;
  },
): number {
  const { path } = ctx;
  let lines = text.split("\n");
  let keep = text;
  const last = lines[lines.length - 1]!;
  lines = lines.slice(0, -1); // "" after the final newline, or the torn line
  if (last !== "") {
    keep = text.slice(0, text.length - last.length);
    ctx.log(
      `${path}:${lines.length + 1}: incomplete last line (the evaluation was killed while ` +
        `writing it) ignored; that question is asked again`,
    );
  }
  if (lines.length === 0) {
    throw new Error(`${path}: no header line (a progress file starts with one); delete the file`);
  }
  const fail = (n: number, msg: string) => new Error(`${path}:${n}: ${msg}`);
  const json = (n: number): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(lines[n - 1]!);
    } catch (e) {
      throw fail(n, `not JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw fail(n, "not an object");
    return v as Record<string, unknown>;
  };
  const header = json(1);
  if (header.kind !== KIND) throw fail(1, `kind is ${JSON.stringify(header.kind)}, not ${KIND}`);
  const diff = firstDifference(header, ctx.header, "");
  if (diff !== null) {
    throw new Error(
      `${path} belongs to another evaluation: field ${diff.field} is ${diff.there} there, ` +
        `${diff.here} here; delete the file or run with --fresh to start over`,
    );
  }
  for (let n = 2; n <= lines.length; n++) {
    const o = json(n);
    const i = o.i;
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= ctx.questions.length) {
      throw fail(
        n,
        `field i: expected a question index in [0, ${ctx.questions.length}), got ${
          JSON.stringify(i)
        }`,
      );
    }
    const id = ctx.questions[i]!.id;
    if (o.id !== id) {
      throw fail(
        n,
        `field id: question ${i} is ${JSON.stringify(id)}, got ${JSON.stringify(o.id)}`,
      );
    }
    if (ctx.answered.has(i)) throw fail(n, `field i: question ${i} (${id}) is recorded twice`);
    if (o.answer !== null && typeof o.answer !== "string") {
      throw fail(n, `field answer: expected a string or null, got ${JSON.stringify(o.answer)}`);
    }
    const t = o.toolCalls;
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0) {
      throw fail(n, `field toolCalls: expected an integer >= 0, got ${JSON.stringify(t)}`);
    }
    if (o.failure !== null && typeof o.failure !== "string") {
      throw fail(n, `field failure: expected a string or null, got ${JSON.stringify(o.failure)}`);
    }
    ctx.answered.set(i, { answer: o.answer, toolCalls: t, failure: o.failure });
  }
  return new TextEncoder().encode(keep).length;
}

/** The first field (a dotted path) where `there` and `here` differ, with both values. */
function firstDifference(
  there: unknown,
  here: unknown,
  at: string,
): { field: string; there: string; here: string } | null {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(there) && isObj(here)) {
    for (const k of new Set([...Object.keys(here), ...Object.keys(there)])) {
      const d = firstDifference(there[k], here[k], at === "" ? k : `${at}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  const a = JSON.stringify(there) ?? "absent", b = JSON.stringify(here) ?? "absent";
  return a === b ? null : { field: at, there: a, here: b };
}
