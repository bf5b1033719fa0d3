/**
 * @creditlab/reports: report generators over the run store — comparison tables (Search-R1
 * layout, mean and 95% t-interval over seeds), paired comparisons and verdicts, learning
 * curves, credit plots, the reporting checklist; markdown, JSON, HTML pages, SVG and PNG.
 * @module
 */
export * from "./generate.ts";
export * from "./decide.ts";
export * from "./compare.ts";
export * from "./regime.ts";
export * from "./trend.ts";
export * from "./verdict.ts";
export * from "./json.ts";
export * from "./json_schema.ts";
export * from "./index_page.ts";
export * from "./paired.ts";
export * from "./design.ts";
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
export * from "./format.ts";
export * from "./stats.ts";
export * from "./config_split.ts";
export * from "./sweep_lines.ts";
export * from "./sweeps_section.ts";
export * from "./sweep_configs.ts";
export { sweepBlocks, sweepPlotSpecs, SWEEPS_FOLDER, sweepsJson } from "./render_sweeps.ts";
export { collapsedColumnsNote } from "./render_scores.ts";
export { roundAdvantages } from "./render_credit.ts";
export { reportCli } from "./cli.ts";
export * from "./turn_count.ts";
export * from "./turn_count_bootstrap.ts";
export type * from "./turn_count_types.ts";
export { num as turnCountNumber, turnCountBlocks } from "./render_turn_count.ts";
