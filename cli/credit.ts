/**
 * `deno task credit --method NAME [--config JSON] --in FILE --out FILE [--judge URL]
 * [--retriever URL]`:
 * per-token advantages for external rollouts by any registered method, exactly what our trainer
 * computes in-process for the same batch (interchange/credit.ts). FILE is `.jsonl` or
 * `.parquet` in the trajectory interchange format (interchange/README.md); the output holds the
 * input records with `reward`, `advantages`, `loss_weights`, `method` and `method_record` set.
 * The method's metrics of the batch go to stdout as JSON.
 *
 * What a method needs follows from the training-only resources its defaults ask for
 * ({@link methodsAsking}): none, or a privileged verifier (its verdicts are read from the feedback
 * turns), runs offline; a round judge reads `extras.judge_scores` of the records, else needs
 * `--judge URL` (an OpenAI-compatible endpoint serving the judge); the policy scorer needs the
 * weights being trained and is refused. A method whose credit searches (e.g. for gold passages)
 * needs `--retriever URL`: the Search-R1 `/retrieve` server the rollouts searched.
 *
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringOptions } from "@creditlab/core/cli";
import { asksFor, getMethod, methodNames, type ResourceKind } from "@creditlab/train";
import {
  creditRecords,
  fileFormat,
  mergeConfig,
  parseConfigOverride,
  readRecords,
  writeRecords,
} from "@creditlab/interchange";
import { RetrieverClient } from "@creditlab/datasets";
import { endpointJudge } from "./endpoint_judge.ts";
import { judgedRounds } from "../methods/round_judge.ts";

/**
 * The registered methods whose defaults ask for a training-only resource of `kind`, e.g. the
 * ones that need a round judge.
 */
export function methodsAsking(kind: ResourceKind): string[] {
  return methodNames().filter((n) => {
    const m = getMethod(n);
    return asksFor(m, m.defaults, kind);
  });
}

/** The verb's usage text. */
export const CREDIT_USAGE =
  `usage: deno task credit --method NAME [--config JSON] --in FILE --out FILE
       [--judge URL] [--judge-model NAME] [--retriever URL] [--seed N] [--step N]

Per-token advantages for rollouts in the trajectory interchange format (interchange/README.md),
bit for bit what creditlab's trainer computes in-process. FILE: .jsonl or .parquet.

  --method NAME      a registered method: ${methodNames().join(", ")}
  --config JSON      override of the method's defaults (objects merge field by field)
  --in FILE          the records (inputs); --out FILE: the records with outputs set
  --judge URL        OpenAI-compatible endpoint answering the round judge for records without
                     extras.judge_scores (${
    methodsAsking("round-judge").join(", ")
  }); --judge-model:
                     its model name
  --retriever URL    the search tool the rollouts used: a Search-R1 /retrieve server (a running
                     deno task serve-retriever over their corpus), for methods whose credit
                     searches (e.g. for gold passages, by the ground_truth.chain queries); they
                     fail naming --retriever without it
  --seed N, --step N the method context's seed and step (default 0; no shipped method uses them)

Offline: methods that ask for no training-only resource or for a verifier (its verdicts are read
from the feedback turns); judged ones when every judged record carries extras.judge_scores, else
with --judge. Refused (they score with the weights being trained): ${
    methodsAsking("policy-scorer").join(", ")
  }.`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(CREDIT_USAGE, {
    args,
    options: {
      ...stringOptions("method", "config", "in", "out", "judge", "judge-model", "retriever"),
      ...stringOptions("seed", "step"),
      help: HELP_OPTION,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  for (const k of ["method", "in", "out"] as const) {
    if (!values[k]) throw new Error(`credit: --${k} is required\n${CREDIT_USAGE}`);
  }
  const int = (k: "seed" | "step"): number | undefined => {
    const v = values[k];
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isInteger(x)) throw new Error(`credit: --${k}: expected an integer, got ${v}`);
    return x;
  };
  const method = getMethod(values.method!);
  const config = mergeConfig(
    method.defaults,
    values.config === undefined ? {} : parseConfigOverride(values.config, "credit: --config"),
  );
  method.loss(config); // the method's config check, before any file is read
  const records = await readRecords(values.in!);
  const unit = fileFormat(values.in!) === "jsonl" ? "line" : "row";
  const judge = await endpointJudge(values.judge, values["judge-model"]);
  const search = values.retriever ? new RetrieverClient(values.retriever) : undefined;
  const seed = int("seed");
  const step = int("step");
  const t0 = performance.now();
  const out = await creditRecords(records, method, {
    config,
    judgedRounds,
    whereOf: (i) => ({ source: values.in!, at: `${unit} ${i + 1}` }),
    ...(judge ? { judge } : {}),
    ...(search ? { search } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(step !== undefined ? { step } : {}),
  });
  await writeRecords(values.out!, out.records);
  console.error(
    `credit: ${method.name} on ${records.length} trajectories in ${
      ((performance.now() - t0) / 1000).toFixed(3)
    } s -> ${values.out}`,
  );
  console.log(JSON.stringify(out.metrics, null, 2));
  return 0;
}
