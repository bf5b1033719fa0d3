/**
 * @creditlab/core: the shared vocabulary of every package (DESIGN.md section 3) — question,
 * action, turn, trajectory, rollout batch, passage, search tool, verifier and judge interfaces,
 * loss config, regime names, a method's per-trajectory record, step-metric names. Types and
 * constants only; a leaf: imports no other package.
 *
 * Conventions of rounds, groups and per-token arrays: see trajectory.ts.
 *
 * @module
 */
export * from "./question.ts";
export * from "./trajectory.ts";
export * from "./retrieval.ts";
export * from "./feedback.ts";
export * from "./loss.ts";
export * from "./regime.ts";
export * from "./record.ts";
export * from "./metrics.ts";
