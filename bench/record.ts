/**
 * What the benchmarks' JSON records share: the machine a benchmark ran on
 * ({@link benchMachine}), the caveat of a shared machine ({@link sharedMachineCaveat}), and
 * writing a record ({@link writeBenchResult}). The commit is commit.ts's `benchCommit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchMachine, sharedMachineCaveat } from "./record.ts";
 * assert.equal(benchMachine().cores, navigator.hardwareConcurrency);
 * assert.equal(sharedMachineCaveat([0, 0, 0], "at start"), undefined);
 * ```
 * @module
 */
import { readCpuModel } from "@creditlab/kernels";

/** The machine: CPU model, cores, memory, OS and Deno version. */
export function benchMachine(): Record<string, unknown> {
  return {
    cpu: readCpuModel(),
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
  };
}

/**
 * When the 1-minute load average at the start was over the machine's cores: `shared machine:
 * load average 2.5 1.9 1.2 on 2 cores <what follows>`; otherwise undefined.
 */
export function sharedMachineCaveat(
  loadAverageAtStart: readonly number[],
  follows: string,
): string | undefined {
  return loadAverageAtStart[0]! > navigator.hardwareConcurrency
    ? `shared machine: load average ${
      loadAverageAtStart.map((x) => x.toFixed(1)).join(" ")
    } on ${navigator.hardwareConcurrency} cores ${follows}`
    : undefined;
}

/** Write `result` as indented JSON to `path`, creating bench/results/ first. */
export async function writeBenchResult(path: string | URL, result: unknown): Promise<void> {
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
}
