/**
 * How the `data` subcommands that write files report what they wrote (data_cli.ts `ingest`,
 * export/cli.ts `export`).
 *
 * @module
 */

/** What {@link printFilesReport} prints besides the report. */
export interface FilesReportOptions<F> {
  /** `--json`: print the report and its seconds as JSON instead of the table. */
  json: boolean;
  seconds: number;
  /** The first column of a file's line (its benchmark or data source). */
  name: (f: F) => string;
  /** The rest of a file's line, after its name, split and rows. */
  detail: (f: F) => string;
  /** The lines after the table. */
  footer: readonly string[];
}

/**
 * Print a report of written files and return exit code 0: with `json`, the report and its
 * `seconds` as JSON; otherwise one line per file (name, split, rows, then the detail) and the
 * footer lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const printed: string[] = [];
 * const log = console.log;
 * console.log = (s: string) => printed.push(s);
 * try {
 *   printFilesReport({ files: [{ split: "test", rows: 125, path: "bamboogle/test.parquet" }] }, {
 *     json: false,
 *     seconds: 0.5,
 *     name: () => "bamboogle",
 *     detail: (f) => f.path,
 *     footer: ["done"],
 *   });
 * } finally {
 *   console.log = log;
 * }
 * assert.deepEqual(printed, ["bamboogle        test     125  bamboogle/test.parquet", "done"]);
 * ```
 */
export function printFilesReport<F extends { split: string; rows: number }>(
  report: { files: readonly F[] },
  opts: FilesReportOptions<F>,
): number {
  if (opts.json) {
    console.log(JSON.stringify({ ...report, seconds: opts.seconds }, null, 2));
    return 0;
  }
  for (const f of report.files) {
    console.log(
      `${opts.name(f).padEnd(16)} ${f.split.padEnd(5)} ${String(f.rows).padStart(6)}  ${
        opts.detail(f)
      }`,
    );
  }
  for (const line of opts.footer) console.log(line);
  return 0;
}
