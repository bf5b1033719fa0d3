/**
 * The `data` verb: `deno task data <subcommand> [options]`.
 *
 * Subcommands live in {@link SUBCOMMANDS}; add one by appending an entry (lazy-import its
 * module so `data ingest` does not load unrelated code).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { withDuckDb } from "./duckdb.ts";
import { IngestCommittedError, IngestError } from "./benchmarks/errors.ts";
import { ingestBenchmarks } from "./benchmarks/ingest.ts";
import { writeCards } from "./benchmarks/card.ts";
import {
  DEFAULT_CARDS_DIR,
  DEFAULT_DB,
  DEFAULT_PARQUET_DIR,
  DEFAULT_QA_DIR,
} from "./benchmarks/paths.ts";
import { FORMAT_READERS } from "./benchmarks/formats.ts";
import { printFilesReport } from "./cli_report.ts";

/** One `data` subcommand. `run` returns the process exit code. */
export interface Subcommand {
  /** One line for `data help`. */
  summary: string;
  /** Usage text (options). */
  usage: string;
  run(args: string[]): Promise<number>;
}

async function ingest(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      input: { type: "string" },
      db: { type: "string" },
      "parquet-dir": { type: "string" },
      "cards-dir": { type: "string" },
      "no-cards": { type: "boolean", default: false },
      "replace-all": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const t0 = performance.now();
  try {
    const report = await ingestBenchmarks({
      input: values.input ? resolve(values.input) : DEFAULT_QA_DIR,
      db: values.db ? resolve(values.db) : DEFAULT_DB,
      parquetDir: values["parquet-dir"] ? resolve(values["parquet-dir"]) : DEFAULT_PARQUET_DIR,
      cardsDir: values["no-cards"]
        ? null
        : values["cards-dir"]
        ? resolve(values["cards-dir"])
        : DEFAULT_CARDS_DIR,
      replaceAll: values["replace-all"],
    });
    const seconds = (performance.now() - t0) / 1000;
    return printFilesReport(report, {
      json: values.json,
      seconds,
      name: (f) => f.benchmark,
      detail: (f) => `${f.format.padEnd(18)} ${f.relPath}`,
      footer: [
        ...report.skipped.map((s) => `skipped ${s.relPath}: ${s.reason}`),
        `ingested ${report.rows} questions from ${report.files.length} files into ${report.db} in ${
          seconds.toFixed(2)
        } s`,
        `parquet: ${report.parquetFiles.length} files; cards: ${
          report.cards.length / 2
        } benchmarks`,
      ],
    });
  } catch (e) {
    if (e instanceof IngestError) {
      console.error(`data ingest: ${e.message}\n(nothing was written)`);
      return 1;
    }
    if (e instanceof IngestCommittedError) {
      console.error(`data ingest: ${e.message}`);
      return 1;
    }
    if (e instanceof Error) {
      console.error(
        `data ingest: ${e.message}\n(nothing was committed: the store and the Parquet files are unchanged)`,
      );
      return 1;
    }
    throw e;
  }
}

async function card(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { db: { type: "string" }, out: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const db = values.db ? resolve(values.db) : DEFAULT_DB;
  return await withDuckDb(db, async (conn) => {
    const paths = await writeCards(conn, values.out ? resolve(values.out) : DEFAULT_CARDS_DIR);
    for (const p of paths) console.log(p);
    return 0;
  }, { config: { access_mode: "READ_ONLY" } });
}

function formats(): Promise<number> {
  for (const r of FORMAT_READERS) console.log(`${r.name.padEnd(18)} ${r.description}`);
  return Promise.resolve(0);
}

/** The subcommand table. Append new entries here. */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  ingest: {
    summary: "read the QA benchmark files into DuckDB + Parquet + dataset cards",
    usage:
      `[--input DIR (default ${DEFAULT_QA_DIR})] [--db PATH (default ${DEFAULT_DB})] [--parquet-dir DIR] [--cards-dir DIR | --no-cards] [--replace-all] [--json]`,
    run: ingest,
  },
  card: {
    summary: "re-write the dataset cards from the store",
    usage: `[--db PATH] [--out DIR (default ${DEFAULT_CARDS_DIR})]`,
    run: card,
  },
  formats: {
    summary: "list the benchmark file formats the ingest detects",
    usage: "",
    run: formats,
  },
  corpus: {
    summary:
      "read the passage corpora (FlashRAG jsonl, HippoRAG json) into the DuckDB passages table",
    usage: "[--input DIR] [--file PATH]... [--db PATH] [--json]",
    run: (args) => import("./corpus/cli.ts").then((m) => m.corpusCli(args)),
  },
  export: {
    summary:
      "write the benchmarks and SearchWorld worlds as Search-R1 / verl training parquet (--help)",
    usage: "--format search-r1 --out DIR [--benchmarks all|NAME,...] [--searchworld PRESET] ...",
    run: (args) => import("./export/cli.ts").then((m) => m.exportCli(args)),
  },
};

function help(): number {
  console.log("usage: deno task data <subcommand> [options]\n");
  for (const [name, s] of Object.entries(SUBCOMMANDS)) {
    console.log(`  ${name.padEnd(10)} ${s.summary}\n  ${"".padEnd(10)} ${s.usage}`);
  }
  return 0;
}

/**
 * Entry point of the `data` verb.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { DEFAULT_QA_DIR } from "./benchmarks/paths.ts";
 * const tmp = await Deno.makeTempDir();
 * const code = await main([
 *   "ingest", "--input", join(DEFAULT_QA_DIR, "bamboogle"),
 *   "--db", join(tmp, "x.duckdb"), "--parquet-dir", tmp, "--no-cards",
 * ]);
 * assert.equal(code, 0);
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") return help();
  const cmd = SUBCOMMANDS[sub];
  if (!cmd) {
    console.error(
      `data: unknown subcommand "${sub}"; expected one of ${Object.keys(SUBCOMMANDS).join(", ")}`,
    );
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`data ${sub}: ${e.message}\nusage: deno task data ${sub} ${cmd.usage}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
