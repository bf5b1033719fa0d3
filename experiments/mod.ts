/**
 * @creditlab/experiments: experiments on the SearchWorld testbed — presets, the questions and
 * names of a regime (the regimes themselves are core's `REGIMES`), the testbed of a preset, its
 * evaluation (greedy EM on in-domain and out-of-domain held-out questions, the lookup probe), the
 * shared SFT warm start and RL arms that start from it, all recorded in the run store.
 * @module
 */
export * from "./presets.ts";
export * from "./regimes.ts";
export * from "./testbed.ts";
export {
  evaluateOnTestbed,
  evaluateWithTrainingCall,
  type TestbedEval,
  worldFactObjects,
} from "./testbed_eval.ts";
export type { RunContext } from "./context.ts";
export { ensureSft, recordStart, sftCheckpointPath, sftOnTestbed } from "./warm_start.ts";
export { runArm, type RunArmOptions } from "./arm.ts";
export {
  type ArmExecutor,
  type ArmRecorder,
  type EvalJob,
  inProcessExecutor,
  type RlJob,
  type RlJobResult,
  runEvalJob,
  runRlJob,
} from "./arm_job.ts";
export { ArmPool, type ArmPoolOptions, serveArmJobs } from "./arm_pool.ts";
