/**
 * @creditlab/agent: the search agent — its prompt protocol (tags, prompts, action parsing),
 * word tokenizer, entity anonymisation, multi-turn rollout with a KV-cached policy, the batch of
 * typed arrays its trajectories make, expert demonstrations, the Search-R1 evaluation of a local
 * policy and the teacher-forced lookup probe. Training lives in @creditlab/train, the run store
 * in @creditlab/runstore, experiments in @creditlab/experiments, serving in @creditlab/serving.
 * @module
 */
export * from "./protocol.ts";
export * from "./tokenizer.ts";
export * from "./anonymize.ts";
export * from "./rollout.ts";
export * from "./continue_rollout.ts";
export * from "./tree_rollout.ts";
export * from "./batch.ts";
export * from "./expert.ts";
export * from "./evaluate.ts";
export * from "./lookup.ts";
