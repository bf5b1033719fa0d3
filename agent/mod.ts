/**
 * @creditlab/agent: the search agent — protocol, rollout, policies, trainer, run store, evaluation.
 * @module
 */
export * from "./types.ts";
export * from "./registry.ts";
export * from "./resources.ts";
export * from "./protocol.ts";
export * from "./tokenizer.ts";
export * from "./runstore.ts";
export * from "./eval_table.ts";
export * from "./endpoint.ts";
export * from "./serve.ts";
export * from "./batch.ts";
export * from "./optim.ts";
export * from "./rollout.ts";
export * from "./expert.ts";
export * from "./sft.ts";
export * from "./trainer.ts";
export * from "./checkpoint.ts";
export * from "./evaluate.ts";
export * from "./presets.ts";
export * from "./regimes.ts";
export * from "./experiment.ts";
export * from "./git.ts";
export * from "./progress.ts";
export * from "./anonymize.ts";
export * from "./lookup.ts";
