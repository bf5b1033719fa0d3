/**
 * `deno task runs import FILE --experiment NAME [--store PATH] [--method NAME] [--arm NAME]
 * [--seed N]`: external rollouts in the trajectory interchange format (interchange/README.md;
 * `.jsonl` or `.parquet`) become one completed run of the run store (interchange/import.ts), so
 * that `deno task report NAME` shows their credit per round, heat maps and tool calls.
 *
 * Records that carry `advantages` (from `deno task credit` or the engine) are stored as they
 * are. A file without advantages is credited first by the registered method `--method` names,
 * exactly as `deno task credit` would (`--config`, `--judge` as there).
 *
 * @module
 */
import { HELP_OPTION, parseVerbArgs, stringOptions } from "@creditlab/core/cli";
import { resolve } from "node:path";
import "@creditlab/methods";
import { getMethod, methodNames } from "@creditlab/train";
import { DEFAULT_STORE_PATH, gitCommit, RunStore } from "@creditlab/runstore";
import {
  creditRecords,
  type CreditSource,
  fileFormat,
  importRecords,
  mergeConfig,
  parseConfigOverride,
  readRecords,
  type TrajectoryRecord,
} from "@creditlab/interchange";
import { judgedRounds } from "../methods/round_judge.ts";
import { endpointJudge } from "./endpoint_judge.ts";

/** The verb's usage text. */
export const RUNS_USAGE =
  `usage: deno task runs import FILE --experiment NAME [--store PATH] [--method NAME] [--arm NAME]
       [--seed N] [--step N] [--config JSON] [--judge URL] [--judge-model NAME]

Records external rollouts (trajectory interchange format, interchange/README.md; FILE .jsonl or
.parquet) as one completed run of experiment NAME in the run store, in one transaction; then
\`deno task report NAME --store PATH\` shows their credit per round, heat maps and tool calls.

  --store PATH     the run store (default ${DEFAULT_STORE_PATH})
  --method NAME    the run's method. Records with advantages keep them (default: the records'
                   \`method\`, else "external"); records without are credited first by this
                   registered method, as \`deno task credit\` does: ${methodNames().join(", ")}
  --arm NAME       the run's arm (default "method"; "baseline" for the arm compared against)
  --seed N         the run's seed (default 0); one run per experiment, method, arm and seed
  --step N         the step the trajectories are stored at (default 0)
  --config JSON, --judge URL, --judge-model NAME: as for \`deno task credit\` (credit only)`;

function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x)) throw new Error(`--${what}: expected an integer, got ${v}`);
  return x;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The records with advantages: as read, or credited by `--method` when none carries them. */
async function credited(
  records: TrajectoryRecord[],
  opts: {
    method: string | undefined;
    config: string | undefined;
    judge: string | undefined;
    judgeModel: string | undefined;
    file: string;
  },
): Promise<{ records: TrajectoryRecord[]; credit: CreditSource }> {
  if (records.some((r) => r.advantages !== undefined && r.advantages !== null)) {
    if (opts.config !== undefined || opts.judge !== undefined) {
      throw new Error(
        `${opts.file}: the records carry advantages; --config and --judge only apply to records without`,
      );
    }
    return { records, credit: { from: "file" } };
  }
  if (opts.method === undefined) {
    throw new Error(
      `${opts.file}: no record carries advantages: pass --method NAME to compute them with a registered method (${
        methodNames().join(", ")
      }), or run \`deno task credit\` first`,
    );
  }
  const method = getMethod(opts.method);
  const config = mergeConfig(
    method.defaults,
    opts.config === undefined ? {} : parseConfigOverride(opts.config, "runs import: --config"),
  );
  method.loss(config); // the method's config check
  const unit = fileFormat(opts.file) === "jsonl" ? "line" : "row";
  const judge = await endpointJudge(opts.judge, opts.judgeModel);
  const out = await creditRecords(records, method, {
    config,
    judgedRounds,
    whereOf: (i) => ({ source: opts.file, at: `${unit} ${i + 1}` }),
    ...(judge ? { judge } : {}),
  });
  return {
    records: out.records,
    credit: { from: "creditlab", method: method.name, config, metrics: out.metrics },
  };
}

async function importCommand(args: string[]): Promise<number> {
  const parsed = parseVerbArgs("runs import", RUNS_USAGE, {
    args,
    allowPositionals: true,
    options: {
      store: { type: "string", default: DEFAULT_STORE_PATH },
      ...stringOptions("experiment", "method", "arm", "seed", "step"),
      ...stringOptions("config", "judge", "judge-model"), // as for `deno task credit`
      help: HELP_OPTION,
    },
  });
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || values.experiment === undefined) {
    console.error(`runs import: expected one FILE and --experiment NAME\n${RUNS_USAGE}`);
    return 2;
  }
  const file = resolve(positionals[0]!);
  try {
    const seed = int(values.seed, "seed");
    const step = int(values.step, "step");
    const encoding = fileFormat(file);
    const read = await readRecords(file);
    const { records, credit } = await credited(read, {
      method: values.method,
      config: values.config,
      judge: values.judge,
      judgeModel: values["judge-model"],
      file,
    });
    const unit = encoding === "jsonl" ? "line" : "row";
    const commit = await gitCommit();
    const store = await RunStore.open(values.store);
    let r;
    try {
      r = await importRecords(store, records, {
        experiment: values.experiment,
        source: { path: file, encoding, sha256: await sha256(file) },
        credit,
        commit,
        whereOf: (i) => ({ source: file, at: `${unit} ${i + 1}` }),
        ...(values.method !== undefined ? { method: values.method } : {}),
        ...(values.arm !== undefined ? { arm: values.arm } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(step !== undefined ? { step } : {}),
      });
    } finally {
      store.close();
    }
    console.log(
      `runs import: ${r.trajectories} trajectories in ${r.groups} groups -> run ${r.runId} ` +
        `(experiment ${r.experiment}, method ${r.method}, arm ${r.arm}, seed ${r.seed}, step ${r.step}) ` +
        `in ${values.store}\nreport: deno task report ${r.experiment} --store ${values.store}`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    console.error(`runs import: ${e.message}\n(nothing was recorded: the run store is unchanged)`);
    return 1;
  }
}

/**
 * Entry point of the `runs` verb.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(await main(["--help"]), 0);
 *   assert.equal(await main(["import", "--help"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    console.log(RUNS_USAGE);
    return 0;
  }
  if (sub !== "import") {
    console.error(
      `runs: unknown subcommand ${JSON.stringify(sub)}; expected import\n${RUNS_USAGE}`,
    );
    return 2;
  }
  return await importCommand(rest);
}
