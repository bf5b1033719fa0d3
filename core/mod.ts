/**
 * @creditlab/core: the shared vocabulary of every package (DESIGN.md section 3) — question,
 * action, turn, trajectory, rollout batch, passage, search tool, verifier and judge interfaces,
 * loss config, the training regimes (as plain data), hop counts, the seven Search-R1 benchmarks,
 * a method's per-trajectory record, step-metric names. Types, constants and small pure
 * functions over them; a leaf: imports no other package.
 *
 * Conventions of rounds, groups and per-token arrays: see trajectory.ts.
 *
 * @module
 */
export * from "./question.ts";
export * from "./hops.ts";
export * from "./benchmark.ts";
export * from "./trajectory.ts";
export * from "./retrieval.ts";
export * from "./feedback.ts";
export * from "./scorer.ts";
export * from "./loss.ts";
export * from "./regime.ts";
export * from "./record.ts";
export * from "./metrics.ts";
export * from "./canonical_json.ts";
