/**
 * `deno task eval --policy CHECKPOINT|URL [--benchmarks searchworld,nq,...|all] [--limit N]
 *  [--retriever bm25|URL] [--preset smoke|default|paper] [--prompt short|search-r1]
 *  [--entity-coding slots|words] [--out DIR] [--model NAME] [--timeout SECONDS]
 *  [--retries N] [--concurrency N] [--fresh]`
 *
 * Evaluates a policy with the Search-R1 protocol (greedy, no training-only calls) and prints
 * EM in the Search-R1 table layout; results go to the run store as an `eval` run.
 *
 * - A CHECKPOINT is decoded locally with its own tokenizer; a URL is any OpenAI-compatible
 *   completions server (vLLM, SGLang, llama.cpp, Ollama, or `deno task serve`).
 * - SearchWorld benchmarks (`searchworld`, `searchworld-ood`) use the preset's worlds and
 *   their own BM25 corpora. The seven QA benchmarks read the canonical benchmark store
 *   (ingested on first use from ../shared/data/qa) and search with BM25 over the ingested
 *   passage corpora, or with a Search-R1 `/retrieve` server given by `--retriever URL`.
 * - A URL's prompt format and entity coding are adopted from its `/v1/models` when it
 *   advertises them (our `serve` does); a contradicting `--prompt`/`--entity-coding` is refused.
 * - A question whose request still fails after `--retries` (each attempt bounded by
 *   `--timeout`), e.g. a prompt over the served model's context, is a recorded failure scored
 *   0 (not dropped); failures are counted per benchmark and the evaluation goes on.
 * - Resume: an interrupted evaluation (SIGINT, SIGKILL, a crash) continues when the same
 *   command is run again: its run is reopened, benchmarks it recorded are kept, and with a URL
 *   policy the questions already answered (each appended and synced to
 *   `<out>/eval-progress/<run>/<benchmark>.jsonl` as it ends) are not asked again; the recorded
 *   evaluation equals an uninterrupted one (same questions, order, seeds, EM and F1).
 *   `--fresh` starts a new run instead (eval_resume.ts, serving's eval_progress.ts).
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringDefaults, stringOptions } from "@creditlab/core/cli";
import { existsSync } from "node:fs";
import { backendLabel, loadCheckpoint } from "@creditlab/kernels";
import {
  BENCHMARKS,
  Bm25Index,
  bm25SearchTool,
  DEFAULT_DB,
  ingestBenchmarks,
  ingestCorpora,
  loadPassages,
  loadQuestions,
  RetrieverClient,
} from "@creditlab/datasets";
import type { Question, SearchTool } from "@creditlab/core";
import {
  byHopsExtra,
  type EntityAnonymizer,
  evaluateLocal,
  searchR1Prompt,
  WordTokenizer,
} from "@creditlab/agent";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { searchR1Table } from "@creditlab/reports";
import {
  type EndpointFailure,
  EndpointPolicy,
  EvalProgress,
  evaluateEndpoint,
  fetchServedModelIds,
  fetchServedProtocol,
  resolveEndpointProtocol,
} from "@creditlab/serving";
import { openContext, parseBackend, parsePositiveInt, RUN_OPTIONS } from "./common.ts";
import { EVAL_RUN, progressPath, removeProgressDir, resumableEvalRun } from "./eval_resume.ts";

const SEARCHWORLD = ["searchworld", "searchworld-ood"] as const;

/** The usage text of `deno task eval`. */
export const EVAL_USAGE =
  `usage: deno task eval --policy CHECKPOINT|URL [--benchmarks searchworld,searchworld-ood,nq,...|all]
       [--limit N] [--retriever bm25|URL] [--preset smoke|default|paper] [--seed N]
       [--prompt short|search-r1] [--entity-coding slots|words] [--model NAME]
       [--timeout SECONDS (per attempt, default 120)] [--retries N (default 3)]
       [--concurrency N (default 8)] [--data-db FILE] [--out DIR] [--backend NAME] [--fresh]
A URL's prompt format and entity coding are adopted from its /v1/models when advertised.
A question whose request fails after the retries is recorded as a failure and scored 0.
Run again after an interruption, the same command resumes: recorded benchmarks are kept and
questions already answered (<out>/eval-progress/) are not asked again; --fresh starts over.`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(EVAL_USAGE, {
    args,
    options: {
      help: HELP_OPTION,
      ...stringDefaults({ timeout: "120", retries: "3", concurrency: "8", retriever: "bm25" }),
      ...stringDefaults({ benchmarks: SEARCHWORLD.join(","), "data-db": DEFAULT_DB }),
      ...stringOptions("policy", "limit", "prompt", "model", "entity-coding"),
      fresh: { type: "boolean", default: false },
      ...RUN_OPTIONS,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  if (!values.policy) throw new Error("eval: --policy CHECKPOINT|URL is required");
  const isUrl = /^https?:\/\//.test(values.policy);
  if (!isUrl && !existsSync(values.policy)) {
    throw new Error(
      `eval: --policy ${values.policy} is neither an http(s) URL nor an existing checkpoint file`,
    );
  }
  const qaNames = BENCHMARKS.map((b) => b.name);
  const wanted = values.benchmarks === "all"
    ? [...SEARCHWORLD, ...qaNames]
    : values.benchmarks.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const b of wanted) {
    if (!(SEARCHWORLD as readonly string[]).includes(b) && !qaNames.includes(b)) {
      throw new Error(
        `eval: unknown benchmark "${b}"; expected all or any of ${
          [...SEARCHWORLD, ...qaNames].join(", ")
        }`,
      );
    }
  }
  const limit = values.limit === undefined ? undefined : parsePositiveInt("limit", values.limit, 1);
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0) || !Number.isFinite(timeoutS)) {
    throw new Error(`eval: --timeout: expected seconds > 0, got "${values.timeout}"`);
  }
  const retries = Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0) {
    throw new Error(`eval: --retries: expected an integer >= 0, got "${values.retries}"`);
  }
  const concurrency = parsePositiveInt("concurrency", values.concurrency, 8);
  const served = isUrl ? await fetchServedProtocol(values.policy) : null;
  const servedModels = isUrl ? await fetchServedModelIds(values.policy) : null;
  const endpointProtocol = isUrl
    ? resolveEndpointProtocol(
      { prompt: values.prompt, entityCoding: values["entity-coding"] },
      served,
    )
    : null;
  const prompt = endpointProtocol?.promptFormat ?? values.prompt ?? "short";
  if (prompt !== "short" && prompt !== "search-r1") {
    throw new Error(`eval: --prompt must be short or search-r1, got "${prompt}"`);
  }
  const seed = parsePositiveInt("seed", values.seed, 1);
  const preset = getPreset(values.preset);
  const ctx = await openContext({ out: values.out, backend: parseBackend(values.backend) });
  const local = isUrl ? null : await loadCheckpoint(values.policy);
  try {
    let tokenizer: WordTokenizer | null = null;
    if (local) {
      const json = local.extra["tokenizer"];
      if (json === undefined) {
        throw new Error(`eval: checkpoint ${values.policy} has no tokenizer in its metadata`);
      }
      tokenizer = WordTokenizer.fromJSON(json);
    }
    // SearchWorld policies trained with entity slots see slots at evaluation too (anonymize.ts).
    const coding = endpointProtocol?.entityCoding ?? values["entity-coding"] ??
      local?.extra["entityCoding"] ?? "words";
    if (coding !== "slots" && coding !== "words") {
      throw new Error(`eval: --entity-coding must be slots or words, got "${coding}"`);
    }
    const endpoint = isUrl
      ? new EndpointPolicy({
        baseUrl: values.policy,
        timeoutMs: Math.ceil(timeoutS * 1000),
        retries,
        concurrency,
        ...(values.model ? { model: values.model } : {}),
      })
      : null;
    const rollout = preset.eval.rollout;
    const testbed = wanted.some((b) => (SEARCHWORLD as readonly string[]).includes(b))
      ? buildTestbed(preset)
      : null;
    let qaSearch: SearchTool | null = null;
    const qaSearchTool = async (): Promise<SearchTool> => {
      if (qaSearch) return qaSearch;
      if (/^https?:\/\//.test(values.retriever)) {
        qaSearch = new RetrieverClient(values.retriever);
      } else if (values.retriever === "bm25") {
        await ensureData(values["data-db"]);
        const docs = await loadPassages(values["data-db"]);
        qaSearch = bm25SearchTool(Bm25Index.build(docs));
      } else {
        throw new Error(`eval: --retriever must be bm25 or a URL, got "${values.retriever}"`);
      }
      return qaSearch;
    };
    // What identifies the evaluation: a re-run with the same resumes it (eval_resume.ts).
    const config = {
      policy: values.policy,
      model: values.model ?? null,
      servedModels, // /v1/models: another model behind the same URL is another evaluation
      benchmarks: wanted,
      limit: limit ?? null,
      retriever: values.retriever,
      prompt,
      entityCoding: coding,
      decoding: {
        temperature: 0,
        maxSearchTurns: rollout.maxSearchTurns,
        topK: rollout.topK,
        maxTurnTokens: rollout.maxTurnTokens,
      },
    };
    const previous = values.fresh
      ? undefined
      : await resumableEvalRun(ctx.store, { config, seed, preset: preset.name });
    let runId: string;
    if (previous) {
      runId = previous.id;
      await ctx.store.reopenRun(runId);
      ctx.log(`eval: resuming run ${runId} (${previous.status}: ${previous.reason ?? "-"})`);
    } else {
      runId = await ctx.store.startRun({
        ...EVAL_RUN,
        preset: preset.name,
        seed,
        config,
        backend: backendLabel(ctx.backend),
        commit: ctx.commit,
      });
    }
    const recorded = new Map(
      (previous ? await ctx.store.evals(runId) : []).filter((e) => e.step === 0)
        .map((e) => [e.benchmark, e]),
    );
    const results: { benchmark: string; em: number; f1: number; n: number }[] = [];
    let failedTotal = 0;
    // The run records how it ended: completed, failed with the error, or interrupted by a signal.
    await ctx.store.track(runId, async () => {
      for (const name of wanted) {
        const done = recorded.get(name);
        if (done) {
          ctx.log(`${name}: recorded in run ${runId} before (n=${done.n}); kept`);
          // a progress file left by a kill between recording and deleting it
          await Deno.remove(progressPath(values.out, runId, name)).catch(() => {});
          results.push(done);
          failedTotal += typeof done.extra["failed"] === "number" ? done.extra["failed"] : 0;
          continue;
        }
        let questions: Question[];
        let search: SearchTool;
        let anonymizer: EntityAnonymizer | undefined;
        if (name === "searchworld") {
          questions = testbed!.test;
          search = testbed!.search;
          anonymizer = coding === "slots" ? testbed!.anonymizer : undefined;
        } else if (name === "searchworld-ood") {
          questions = testbed!.ood;
          search = testbed!.oodSearch;
          anonymizer = coding === "slots" ? testbed!.oodAnonymizer : undefined;
        } else {
          await ensureData(values["data-db"]);
          questions = await loadQuestions(values["data-db"], { benchmark: name }) as Question[];
          search = await qaSearchTool();
        }
        if (limit !== undefined) questions = questions.slice(0, limit);
        const split = questions[0]?.split ?? "test";
        const progress = endpoint
          ? await EvalProgress.open(progressPath(values.out, runId, name), {
            run: runId,
            benchmark: name,
            config,
            questions,
            log: ctx.log,
          })
          : null;
        if (progress && progress.answered.size > 0) {
          ctx.log(
            `${name}: ${progress.answered.size} of ${questions.length} questions answered before ` +
              `(${progress.path}); asking the other ${questions.length - progress.answered.size}`,
          );
        }
        const summary = local
          ? await evaluateLocal(questions, {
            model: local.model,
            tokenizer: tokenizer!,
            search,
            config: rollout,
            batchSize: preset.eval.batchSize,
            seed,
            benchmark: name,
            split,
            ...(anonymizer ? { anonymizer } : {}),
          })
          : await evaluateEndpoint(questions, {
            policy: endpoint!,
            search,
            maxSearchTurns: rollout.maxSearchTurns,
            topK: rollout.topK,
            maxTurnTokens: rollout.maxTurnTokens,
            temperature: 0,
            seed,
            ...(prompt === "search-r1" ? { prompt: (q: Question) => searchR1Prompt(q) } : {}),
            ...(anonymizer ? { anonymizer } : {}),
            benchmark: name,
            split,
            answered: progress!.answered,
            onOutcome: (i, outcome) => progress!.record(i, outcome),
          }).finally(() => progress!.close());
        const failures: EndpointFailure[] = "failures" in summary
          ? (summary as { failures: EndpointFailure[] }).failures
          : [];
        failedTotal += failures.length;
        results.push(summary);
        await ctx.store.logEval(runId, {
          benchmark: name,
          split,
          n: summary.n,
          em: summary.em,
          f1: summary.f1,
          step: 0,
          extra: {
            toolCalls: summary.toolCalls,
            answered: summary.answered,
            policy: values.policy,
            prompt,
            entityCoding: coding,
            failed: failures.length,
            failures: failures.slice(0, 20),
            ...byHopsExtra(summary),
          },
          ...(new Set(summary.records.map((r) => r.questionId)).size === summary.n
            ? { items: summary.records }
            : {}),
        });
        await progress?.remove(); // the run store holds the benchmark now
        ctx.log(
          `${name}: n=${summary.n} em=${summary.em.toFixed(3)} f1=${summary.f1.toFixed(3)}` +
            (failures.length > 0
              ? ` failed=${failures.length} (scored 0; first: ${failures[0]!.questionId}: ${
                failures[0]!.reason
              })`
              : ""),
        );
      }
      return { status: "completed" };
    });
    await removeProgressDir(values.out, runId);
    console.log(
      searchR1Table(
        results.map((r) => ({
          label: values.policy!,
          benchmark: r.benchmark,
          em: r.em,
          f1: r.f1,
          n: r.n,
        })),
      ),
    );
    if (failedTotal > 0) {
      console.log(
        `${failedTotal} question(s) could not be answered (request failed after ${retries} retries); ` +
          `they are scored 0 and listed in the run's eval extra (failed, failures)`,
      );
    }
    console.log(`run ${runId} recorded in ${values.out}/creditlab.duckdb`);
    return 0;
  } finally {
    local?.model.dispose();
    ctx.store.close();
  }
}

/** Ingest the shipped benchmarks and corpora into `db` if it does not exist yet. */
async function ensureData(db: string): Promise<void> {
  if (existsSync(db)) return;
  console.error(`eval: ${db} not found; ingesting the shipped benchmarks and corpora`);
  await ingestBenchmarks({ db });
  await ingestCorpora({ db });
}
