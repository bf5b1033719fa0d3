/**
 * Shared set-up of the training CLIs: backend, method registry, run context.
 * @module
 */
import { BACKEND_NAMES, type BackendInfo, type BackendName, initBackend } from "@creditlab/kernels";
import { getRegime, type Regime } from "@creditlab/core";
import {
  type ArmExecutor,
  ArmPool,
  defaultRegime,
  experimentName,
  type ExperimentPreset,
  getPreset,
  inProcessExecutor,
  type RunContext,
  type Testbed,
} from "@creditlab/experiments";
import { getMethod, type Method, methodNames } from "@creditlab/train";
import { gitCommit, RunStore } from "@creditlab/runstore";
import { join } from "node:path";
import type { ParseArgsOptionsConfig } from "node:util";
import { parseArgsOrHelp, type ParsedArgs } from "@creditlab/core/cli";
import "../methods/mod.ts";

/**
 * The options of a command that runs one seed of a preset into a run store: `--preset`
 * (default smoke), `--seed`, `--out DIR` (default runs), `--backend`.
 */
export const RUN_OPTIONS = {
  preset: { type: "string", default: "smoke" },
  seed: { type: "string" },
  out: { type: "string", default: "runs" },
  backend: { type: "string" },
} as const;

/**
 * The options of a verb run as `<verb> <method>` on the method's experiment
 * ({@link methodExperiment}): `--help`, `--preset` (default default), `--regime`, `--seeds`,
 * `--out DIR` (default runs), `--backend`.
 */
export const METHOD_EXPERIMENT_OPTIONS = {
  help: { type: "boolean", short: "h", default: false },
  preset: { type: "string", default: "default" },
  regime: { type: "string" },
  seeds: { type: "string" },
  out: { type: "string", default: "runs" },
  backend: { type: "string" },
} as const;

/** The experiment of a verb run as `<verb> <method> [--preset P] [--regime R]`. */
export interface MethodExperiment {
  /** The method's name as given. */
  name: string;
  method: Method<unknown>;
  preset: ExperimentPreset;
  /** `--regime`, default the regime the method's paper targets (experiments/regimes.ts). */
  regime: Regime;
  /** The experiment's name, `<method>@<regime>` (experiments/regimes.ts). */
  experiment: string;
}

/**
 * The method named by the first positional, `--preset`, `--regime` and their experiment.
 * Throws naming `verb` when no method is named, and for an unknown method, preset or regime.
 */
export function methodExperiment(
  verb: string,
  positionals: readonly string[],
  values: { preset: string; regime?: string | undefined },
): MethodExperiment {
  const name = positionals[0];
  if (!name) throw new Error(`${verb}: name a method (${methodNames().join(", ")})`);
  const method = getMethod(name);
  const preset = getPreset(values.preset);
  const regime = getRegime(values.regime ?? defaultRegime(preset, method));
  const experiment = experimentName(method, { preset, regime: regime.name });
  return { name, method, preset, regime, experiment };
}

/** What a verb run as `<verb> <method>` was given, and the method's experiment. */
export type MethodExperimentArgs<O extends ParseArgsOptionsConfig> = MethodExperiment & {
  values: ParsedArgs<
    { args: string[]; allowPositionals: true; options: typeof METHOD_EXPERIMENT_OPTIONS & O }
  >["values"];
};

/**
 * Parse the arguments of a verb run as `<verb> <method> [options]` ({@link
 * METHOD_EXPERIMENT_OPTIONS} and the verb's own `options`) and name the method's experiment
 * ({@link methodExperiment}); 0 after `--help` (`usage` printed). An unknown option throws.
 */
export function parseMethodExperimentArgs<const O extends ParseArgsOptionsConfig>(
  verb: string,
  usage: string,
  args: string[],
  options: O,
): MethodExperimentArgs<O> | 0 {
  const parsed = parseArgsOrHelp(usage, {
    args,
    allowPositionals: true,
    options: { ...METHOD_EXPERIMENT_OPTIONS, ...options },
  });
  if (parsed === 0) return 0;
  const { values, positionals } = parsed;
  // The options every such verb has (the verb's own are `O`, generic here).
  const common = values as ParsedArgs<{ options: typeof METHOD_EXPERIMENT_OPTIONS }>["values"];
  return {
    ...methodExperiment(verb, positionals, common),
    values: values as MethodExperimentArgs<O>["values"],
  };
}

/** Parse a `--backend` value. */
export function parseBackend(v: string | undefined): BackendName | undefined {
  if (v === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) {
    throw new Error(`--backend: expected one of ${BACKEND_NAMES.join(", ")}, got "${v}"`);
  }
  return v as BackendName;
}

/** Parse a positive integer option. */
export function parsePositiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  }
  return n;
}

/** Open the run store of a results folder and pick the backend. */
export async function openContext(
  opts: {
    out: string;
    backend?: BackendName | undefined;
    /** Results files this run appends to, left out of the commit's dirty check. */
    commitExclude?: readonly string[];
    /** OpenBLAS and native threads of this process (default: the engines' own). */
    threads?: number;
  },
): Promise<RunContext & { backend: BackendInfo }> {
  const backend = await initBackend({
    backend: opts.backend,
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
  });
  await Deno.mkdir(opts.out, { recursive: true });
  const store = await RunStore.open(join(opts.out, "creditlab.duckdb"));
  const commit = await gitCommit({ exclude: opts.commitExclude ?? [] });
  console.error(`backend: ${backend.name} (${backend.reason})`);
  return { store, out: opts.out, backend, commit, log: (l) => console.error(l) };
}

/** Where a verb's arms run (`--backend`, `--jobs`). */
export interface Engines {
  backend: BackendName | undefined;
  /** Arms side by side, each in a worker on one core; 1: one after another here. */
  jobs: number;
}

/**
 * `--backend NAME` and `--jobs N` (default: the machine's cores). With more than one job, arms
 * run side by side in workers, one engine thread each; with 1, one after another in this
 * process on every core.
 */
export function parseEngines(values: { backend?: string; jobs?: string }): Engines {
  return {
    backend: parseBackend(values.backend),
    jobs: parsePositiveInt("jobs", values.jobs, Math.max(1, navigator.hardwareConcurrency || 1)),
  };
}

/** The executor of a verb's arms and a way to wait for all of them (see {@link startArms}). */
export interface Arms {
  executor: ArmExecutor;
  /**
   * Wait for every job; throw the first failure (all of them in an AggregateError when several
   * failed) only after the others have ended, so no arm is left running unrecorded. Closes
   * the executor.
   */
  runAll(work: readonly Promise<unknown>[]): Promise<void>;
}

/**
 * After the warm starts (trained on every core): the executor of the arms. With `jobs` > 1 it
 * is an {@link ArmPool} of workers with one engine thread each, and this process's engines drop
 * to one thread too (the setting is process-wide), so `ctx.backend` names what the arms run on.
 */
export async function startArms(
  ctx: RunContext,
  testbed: Testbed,
  engines: Engines,
): Promise<Arms> {
  let executor: ArmExecutor;
  if (engines.jobs <= 1) executor = inProcessExecutor(testbed);
  else {
    const { backend } = engines;
    ctx.backend = await initBackend({ ...(backend ? { backend } : {}), threads: 1 });
    executor = new ArmPool({
      jobs: engines.jobs,
      workerUrl: new URL("./arm_worker.ts", import.meta.url),
      threads: 1,
      backend: ctx.backend.name,
    });
  }
  return {
    executor,
    runAll: async (work) => {
      try {
        const results = await Promise.allSettled(work);
        const failed = results.flatMap((r) => r.status === "rejected" ? [r.reason] : []);
        if (failed.length === 1) throw failed[0];
        if (failed.length > 1) {
          throw new AggregateError(
            failed,
            `${failed.length} jobs failed: ${
              failed.map((e) => e instanceof Error ? e.message : String(e)).join("; ")
            }`,
          );
        }
      } finally {
        await executor.close();
      }
    },
  };
}
