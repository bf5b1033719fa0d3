/**
 * @creditlab/reports: report generators over the run store — comparison tables (Search-R1
 * layout, mean and 95% t-interval over seeds), learning curves, credit plots, the reporting
 * checklist; markdown, self-contained HTML, SVG and PNG.
 * @module
 */
export * from "./generate.ts";
export * from "./decide.ts";
export * from "./json.ts";
export * from "./paired.ts";
export * from "./collect.ts";
export * from "./experiment_data.ts";
export * from "./arm_tables.ts";
export * from "./collect_evals.ts";
export * from "./collect_curves.ts";
export * from "./collect_trajectories.ts";
export * from "./checklist.ts";
export * from "./benchmarks.ts";
export * from "./search_r1_table.ts";
export * from "./paper.ts";
export * from "./plots.ts";
export * from "./render.ts";
export * from "./stats.ts";
export { reportCli } from "./cli.ts";
