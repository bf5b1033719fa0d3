/**
 * `deno task bench credit [--trajectories 512] [--tokens 4096] [--group 8] [--repeats 3]`:
 * the per-call time of credit for external rollouts (issue 20's target: < 1 s per call of 512
 * trajectories x 4,096 response tokens on 2 cores), for each registered method with its judge
 * scores in the records (so none makes an LLM call). Written to bench/results/credit.json
 * with the machine, backend and commit.
 *
 * Per method, the median over `--repeats` calls of (wall clock, and CPU seconds of this process,
 * which on a shared machine show the work itself):
 * - `computeSeconds`: `creditRecords` on parsed records (outcomes, rewards, batch, step);
 * - `httpSeconds`: one `POST /credit` to `serve-credit` on 127.0.0.1 end to end: the client's
 *   JSON encoding, the request, the server's parse, validation, credit and JSON answer, and the
 *   client's parse of the answer;
 * - `httpArrowSeconds`: the same call with Arrow IPC bodies both ways (the client's encoding
 *   and decoding included);
 * - `jsonlFileSeconds`: `deno task credit`'s work on a JSONL file without process start-up:
 *   read and validate, credit, write.
 *
 * The records are synthetic and seeded: groups of `--group` trajectories of one question, a
 * 256-token prompt, `--tokens` response tokens in rounds of policy / observation turns (some
 * with a feedback call and its verdict), judge scores of the non-final rounds, and an answer
 * that is right for about a third of the trajectories.
 *
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringDefaults, stringOptions } from "@creditlab/core/cli";
import process from "node:process";
import type { Action, FeedbackVerdict, Role } from "@creditlab/core";
import { initBackend, Rng } from "@creditlab/kernels";
import { getMethod, methodNames } from "@creditlab/train";
import {
  ARROW_STREAM_TYPE,
  creditRecords,
  outputsFromArrow,
  readRecords,
  recordsToArrow,
  serveCredit,
  type TrajectoryRecord,
  type TurnSpan,
  writeRecords,
} from "@creditlab/interchange";
import { judgedRounds } from "../methods/round_judge.ts";
import { median } from "../reports/stats.ts";
import "../methods/mod.ts";
import { BASELINE } from "../methods/mod.ts";
import { benchCommit } from "./commit.ts";
import { benchMachine, sharedMachineCaveat, writeBenchResult } from "./record.ts";

const PROMPT = 256;

/** Options of {@link syntheticRecords}. */
export interface SyntheticOptions {
  trajectories: number;
  /** Response tokens per trajectory. */
  tokens: number;
  /** Trajectories per group. */
  group: number;
  seed?: number;
}

/**
 * Seeded synthetic records (valid interchange records, judge scores included).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateBatch, validateRecord } from "@creditlab/interchange";
 * const recs = syntheticRecords({ trajectories: 8, tokens: 64, group: 4 });
 * const where = (i: number) => ({ source: "bench", at: `records[${i}]` });
 * recs.forEach((r, i) => validateRecord(r, where(i)));
 * validateBatch(recs, where);
 * assert.equal(recs[0]!.response_ids.length, 64);
 * ```
 */
export function syntheticRecords(opts: SyntheticOptions): TrajectoryRecord[] {
  const rng = new Rng(opts.seed ?? 1);
  const out: TrajectoryRecord[] = [];
  for (let i = 0; i < opts.trajectories; i++) {
    const g = Math.floor(i / opts.group);
    const entities = [`e${g}a`, `e${g}b`, `e${g}c`];
    const answer = `ans${g}`;
    const rounds = 2 + rng.int(6);
    const withFeedback = rng.int(4) === 0 && rounds >= 3;
    // Token budget per round: policy and environment turns share it.
    const per = Math.floor(opts.tokens / rounds);
    const turns: TurnSpan[] = [];
    let pos = 0;
    for (let k = 1; k <= rounds; k++) {
      const last = k === rounds;
      const end = last ? opts.tokens : pos + per;
      const policyEnd = last ? end : pos + Math.max(1, Math.floor(per / 3));
      // Round k: the policy's turn, then (but in the last round) the environment's answer.
      const policy = (text: string, action: Action) =>
        turns.push({ role: "policy", round: k, start: pos, end: policyEnd, text, action });
      const reply = (role: Role, turn: { text: string; verdict?: FeedbackVerdict }) =>
        turns.push({ role, round: k, start: policyEnd, end, ...turn });
      if (last) {
        const right = rng.int(3) === 0;
        const said = right ? answer : entities[rng.int(3)]!;
        policy(`<answer> ${said} </answer>`, { kind: "answer", text: said });
      } else if (withFeedback && k === rounds - 1) {
        const draft = entities[0]!;
        policy(`<feedback> ${draft} </feedback>`, { kind: "feedback", draft });
        reply("feedback", {
          text: "<verifier> not the answer </verifier>",
          verdict: { correct: false, kind: "wrong-hop" },
        });
      } else {
        const query = `${entities[rng.int(3)]} relation ${k} of t${i}`;
        policy(`<search> ${query} </search>`, { kind: "search", query });
        const title = entities[rng.int(3)];
        reply("observation", { text: `<information> Doc 1 (Title: ${title}) ... </information>` });
      }
      pos = end;
    }
    const ids: number[] = new Array(opts.tokens);
    const mask: number[] = new Array(opts.tokens);
    const logProbs: number[] = new Array(opts.tokens);
    for (const t of turns) {
      for (let j = t.start; j < t.end; j++) {
        ids[j] = 3 + rng.int(30000);
        mask[j] = t.role === "policy" ? 1 : 0;
        logProbs[j] = t.role === "policy" ? Math.fround(-rng.next() * 4) : 0;
      }
    }
    const last = turns[turns.length - 1]!;
    out.push({
      version: 1,
      uid: `q${g}`,
      trajectory_id: `t${i}`,
      data_source: "synthetic",
      question_id: `q${g}`,
      question: `which entity relates ${entities.join(" and ")} ?`,
      ground_truth: { target: [answer], entities },
      prompt_ids: Array.from({ length: PROMPT }, (_, j) => 3 + j),
      prompt_text: `question : which entity relates ${entities.join(" and ")} ?`,
      response_ids: ids,
      response_mask: mask,
      rollout_log_probs: logProbs,
      turns,
      answer: last.action?.kind === "answer" ? last.action.text : null,
      extras: {
        judge_scores: Array.from({ length: rounds - 1 }, (_, k) => ({
          round: k + 1,
          retrieval: rng.int(2) as 0 | 1,
          thinking: rng.int(2) as 0 | 1,
        })),
      },
    });
  }
  return out;
}

/**
 * Run `fn` on the URL of `serve-credit` on a free port of 127.0.0.1 with every registered
 * method; the server is shut down (and has stopped) when it returns.
 */
export async function withRegisteredCredit<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const { url, server } = serveCredit({
    method: getMethod,
    methodNames,
    judgedRounds,
    port: 0,
    signal: ac.signal,
  });
  try {
    return await fn(url);
  } finally {
    ac.abort();
    await server.finished;
  }
}

/** Wall-clock and CPU seconds (user + system, this process: the HTTP client and server both). */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/** The usage text (`--help`). */
const USAGE = "usage: deno task bench credit [--trajectories 512] [--tokens 4096] [--group 8] " +
  "[--repeats 3] [--methods a,b] [--out PATH]";

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(USAGE, {
    args,
    options: {
      ...stringDefaults({ trajectories: "512", tokens: "4096", group: "8", repeats: "3" }),
      ...stringOptions("methods", "out"),
      help: HELP_OPTION,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  const n = Number(values.trajectories), tokens = Number(values.tokens);
  const group = Number(values.group), repeats = Number(values.repeats);
  const names = values.methods ? values.methods.split(",") : methodNames();
  const backend = await initBackend();
  const loadAverageAtStart = Deno.loadavg();
  const records = syntheticRecords({ trajectories: n, tokens, group });
  const body = (method: string) => JSON.stringify({ method, records });
  const requestBytes = body(BASELINE.name).length;
  const arrowRequestBytes = recordsToArrow(records).length;
  const dir = await Deno.makeTempDir();
  const jsonl = `${dir}/in.jsonl`;
  await writeRecords(jsonl, records);
  const perMethod: Record<string, Record<string, number>> = {};
  try {
    await withRegisteredCredit(async (url) => {
      for (const name of names) {
        const method = getMethod(name);
        const compute: { wall: number; cpu: number }[] = [];
        const http: { wall: number; cpu: number }[] = [];
        const file: { wall: number; cpu: number }[] = [];
        const arrow: { wall: number; cpu: number }[] = [];
        let responseBytes = 0;
        let arrowResponseBytes = 0;
        for (let r = 0; r < repeats; r++) {
          compute.push(await timed(() => creditRecords(records, method, { judgedRounds })));
          http.push(
            await timed(async () => {
              const res = await fetch(`${url}/credit`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: body(name),
              });
              const text = await res.text();
              if (res.status !== 200) throw new Error(`bench credit: ${res.status} ${text}`);
              responseBytes = text.length;
              JSON.parse(text);
            }),
          );
          arrow.push(
            await timed(async () => {
              const res = await fetch(`${url}/credit?method=${name}`, {
                method: "POST",
                headers: { "content-type": ARROW_STREAM_TYPE },
                body: recordsToArrow(records),
              });
              const bytes = new Uint8Array(await res.arrayBuffer());
              if (res.status !== 200) {
                throw new Error(`bench credit: ${res.status} ${new TextDecoder().decode(bytes)}`);
              }
              arrowResponseBytes = bytes.length;
              outputsFromArrow(bytes);
            }),
          );
          file.push(
            await timed(async () => {
              const recs = await readRecords(jsonl);
              const out = await creditRecords(recs, method, { judgedRounds });
              await writeRecords(`${dir}/out.jsonl`, out.records);
            }),
          );
        }
        const m = (xs: { wall: number; cpu: number }[], k: "wall" | "cpu") =>
          median(xs.map((x) => x[k]));
        perMethod[name] = {
          computeSeconds: m(compute, "wall"),
          computeCpuSeconds: m(compute, "cpu"),
          httpSeconds: m(http, "wall"),
          httpCpuSeconds: m(http, "cpu"),
          httpArrowSeconds: m(arrow, "wall"),
          httpArrowCpuSeconds: m(arrow, "cpu"),
          jsonlFileSeconds: m(file, "wall"),
          jsonlFileCpuSeconds: m(file, "cpu"),
          responseBytes,
          arrowResponseBytes,
        };
        console.error(`${name}: ${JSON.stringify(perMethod[name])}`);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const worst = (k: string) => Math.max(...Object.values(perMethod).map((m) => m[k]!));
  const worstHttp = worst("httpSeconds"), worstHttpCpu = worst("httpCpuSeconds");
  const worstArrow = worst("httpArrowSeconds"), worstArrowCpu = worst("httpArrowCpuSeconds");
  const result = {
    benchmark: "credit",
    machine: { ...benchMachine(), loadAverageAtStart, loadAverageAtEnd: Deno.loadavg() },
    backend,
    commit: await benchCommit(),
    setting: {
      trajectories: n,
      responseTokens: tokens,
      promptTokens: PROMPT,
      groupSize: group,
      repeats,
      requestBytes,
      arrowRequestBytes,
      note: "credit runs on typed arrays (no tensor backend); judge scores travel in the records",
    },
    perMethod,
    targets: {
      callUnder1s: {
        target: 1,
        measured: worstHttp,
        met: worstHttp < 1,
        of: "httpSeconds (JSON bodies, wall clock), worst method",
        cpuSeconds: worstHttpCpu,
      },
      arrowCallUnder1s: {
        target: 1,
        measured: worstArrow,
        met: worstArrow < 1,
        of: "httpArrowSeconds (Arrow IPC bodies, wall clock), worst method",
        cpuSeconds: worstArrowCpu,
      },
    },
    caveat: sharedMachineCaveat(loadAverageAtStart, "at start; times are inflated"),
  };
  const outPath = values.out ?? new URL("./results/credit.json", import.meta.url);
  await writeBenchResult(outPath, result);
  console.log(JSON.stringify(perMethod, null, 2));
  return 0;
}
