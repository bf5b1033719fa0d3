/**
 * `deno task serve-retriever`: serve a BM25 index over Search-R1's `/retrieve` API.
 *
 *     deno task serve-retriever [--corpus FILE_OR_NAME]... [--db FILE] [--index FILE]
 *                               [--port 8000] [--host 127.0.0.1] [--topk 3] [--k1 0.9] [--b 0.4]
 *                               [--max-body-bytes 4194304] [--max-queries 4096]
 *                               [--max-topk 1000] [--max-results 20000]
 *
 * Passages come from, in order of preference:
 * - `--index FILE` when FILE exists (a saved index; see persist.ts). When it does not exist,
 *   the index is built from the sources below and saved there.
 * - `--db FILE`: the `passages` table of a DuckDB file (`deno task data corpus`), restricted
 *   to the `--corpus` names if given.
 * - `--corpus FILE`: corpus files (FlashRAG jsonl, HippoRAG json), parsed directly.
 * - nothing: every shipped corpus in ../shared/data/qa/corpus.
 *
 * Limits (server.ts): a body over `--max-body-bytes` gets 413; more than `--max-queries`
 * queries, a topk over `--max-topk` or queries x topk over `--max-results` gets 422.
 *
 * @module
 */

import { HELP_OPTION, parseVerbArgs, stringOptions } from "@creditlab/core/cli";
import { parseCorpusFile } from "../corpus/parse.ts";
import { DEFAULT_CORPUS_DIR, listCorpusFiles, loadPassages } from "../corpus/store.ts";
import { Bm25Index } from "./bm25.ts";
import { loadIndex, saveIndex } from "./persist.ts";
import { serveRetriever } from "./server.ts";
import type { Doc } from "@creditlab/core";

const USAGE =
  `usage: deno task serve-retriever [--corpus FILE_OR_NAME]... [--db FILE] [--index FILE]
       [--port 8000] [--host 127.0.0.1] [--topk 3] [--k1 0.9] [--b 0.4]
       [--max-body-bytes 4194304] [--max-queries 4096] [--max-topk 1000] [--max-results 20000]
limits: bodies over --max-body-bytes get 413; over --max-queries queries, a topk over
--max-topk or queries x topk over --max-results get 422; a request head must arrive
within 10 s and its body within 30 s (408).`;

function num(
  name: string,
  v: string | undefined,
  fallback: number | undefined,
): number | undefined {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x)) {
    throw new Error(`--${name}: expected a number, got ${JSON.stringify(v)}`);
  }
  return x;
}

function limitOpt<K extends string>(
  key: K,
  flag: string,
  v: string | undefined,
): { [k in K]?: number } {
  if (v === undefined) return {};
  const x = Number(v);
  if (v.trim() === "" || !Number.isInteger(x) || x < 1) {
    throw new Error(`--${flag}: expected a positive integer, got ${JSON.stringify(v)}`);
  }
  return { [key]: x } as { [k in K]?: number };
}

/** Build (or load) the index the options describe. */
export async function indexFromArgs(
  opts: {
    corpus: string[];
    db?: string | undefined;
    index?: string | undefined;
    k1?: number | undefined;
    b?: number | undefined;
  },
): Promise<{ index: Bm25Index; source: string }> {
  const bm = {
    ...(opts.k1 === undefined ? {} : { k1: opts.k1 }),
    ...(opts.b === undefined ? {} : { b: opts.b }),
  };
  if (opts.index !== undefined) {
    try {
      await Deno.stat(opts.index);
      return { index: await loadIndex(opts.index, bm), source: `index ${opts.index}` };
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  let docs: Doc[];
  let source: string;
  if (opts.db !== undefined) {
    docs = await loadPassages(opts.db, opts.corpus.length > 0 ? { corpora: opts.corpus } : {});
    source = `DuckDB ${opts.db}`;
  } else {
    const files = opts.corpus.length > 0 ? opts.corpus : await listCorpusFiles(DEFAULT_CORPUS_DIR);
    docs = [];
    for (const f of files) {
      const { corpus, passages } = await parseCorpusFile(f);
      // Ids are unique only within a corpus: qualify them when serving several.
      for (const p of passages) {
        docs.push({
          id: files.length > 1 ? `${corpus}/${p.id}` : p.id,
          title: p.title,
          text: p.text,
        });
      }
    }
    source = files.join(", ");
  }
  const index = Bm25Index.build(docs, bm);
  if (opts.index !== undefined) {
    await saveIndex(index, opts.index);
    source += ` (saved to ${opts.index})`;
  }
  return { index, source };
}

/** The `serve-retriever` verb; resolves with the exit code once the server stops. */
export async function serveRetrieverCli(args: string[]): Promise<number> {
  const parsed = parseVerbArgs("serve-retriever", USAGE, {
    args,
    options: {
      corpus: { type: "string", multiple: true },
      ...stringOptions("db", "index", "port", "host", "topk", "k1", "b"),
      ...stringOptions("max-body-bytes", "max-queries", "max-topk", "max-results"),
      help: HELP_OPTION,
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  try {
    const t0 = performance.now();
    const { index, source } = await indexFromArgs({
      corpus: v.corpus ?? [],
      db: v.db,
      index: v.index,
      k1: num("k1", v.k1, undefined),
      b: num("b", v.b, undefined),
    });
    const server = serveRetriever(index, {
      port: num("port", v.port, 8000)!,
      host: v.host ?? "127.0.0.1",
      defaultTopk: num("topk", v.topk, 3)!,
      ...limitOpt("maxBodyBytes", "max-body-bytes", v["max-body-bytes"]),
      ...limitOpt("maxQueries", "max-queries", v["max-queries"]),
      ...limitOpt("maxTopk", "max-topk", v["max-topk"]),
      ...limitOpt("maxResults", "max-results", v["max-results"]),
    });
    console.error(
      `serve-retriever: ${index.numDocs} passages from ${source}, BM25 k1=${index.params.k1} b=${index.params.b}, ` +
        `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s; POST ${server.url}/retrieve`,
    );
    const stop = () => void server.shutdown();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await server.finished;
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    return 0;
  } catch (e) {
    console.error(`serve-retriever: ${(e as Error).message}`);
    return 1;
  }
}
