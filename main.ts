/**
 * The creditlab CLI. `deno task <verb>` calls `main.ts <verb> ...`.
 *
 * Each verb lives in its package; this file only dispatches.
 * @module
 */

type Verb = (args: string[]) => Promise<number>;

const verbs: Record<string, Verb> = {
  reproduce: (args) => import("./cli/reproduce.ts").then((m) => m.main(args)),
  train: (args) => import("./cli/train.ts").then((m) => m.main(args)),
  sweep: (args) => import("./cli/sweep.ts").then((m) => m.main(args)),
  eval: (args) => import("./cli/eval.ts").then((m) => m.main(args)),
  report: async (args) => (await import("./reports/cli.ts")).reportCli(args),
  serve: (args) => import("./serving/serve_cli.ts").then((m) => m.serveMain(args)),
  "serve-retriever": (args) =>
    import("./datasets/retrieval/cli.ts").then((m) => m.serveRetrieverCli(args)),
  data: (args) => import("./datasets/data_cli.ts").then((m) => m.main(args)),
  credit: (args) => import("./cli/credit.ts").then((m) => m.main(args)),
  runs: (args) => import("./cli/runs.ts").then((m) => m.main(args)),
  "probe-call": (args) => import("./cli/probe_call.ts").then((m) => m.main(args)),
  "serve-credit": (args) => import("./cli/serve_credit.ts").then((m) => m.main(args)),
  "serve-env": (args) => import("./cli/serve_env.ts").then((m) => m.main(args)),
  notebooks: async (args) => (await import("./notebooks/run.ts")).notebooksCli(args),
};

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const run = verb === undefined ? undefined : verbs[verb];
  if (!run) {
    console.error(`usage: deno task <verb> [options]\nverbs: ${Object.keys(verbs).join(", ")}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    // Bad input and failed runs end with one clear line; CREDITLAB_DEBUG=1 shows the stack.
    if (Deno.env.get("CREDITLAB_DEBUG")) console.error(e);
    console.error(`creditlab ${verb}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
