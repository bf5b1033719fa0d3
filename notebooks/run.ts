/**
 * `deno task notebooks [NAME...]`: make sure Jupyter (Debian's nbconvert, nbclient,
 * jupyter-client, ipykernel) and the Deno kernel (in the project-local `.jupyter/`) are
 * installed, then execute every notebook headless with nbconvert into a temporary folder.
 * A failing notebook is reported with its file and the index of the failing cell.
 *
 * The kernel is this very Deno executable (`Deno.execPath()`), registered by
 * `deno jupyter --install` with `XDG_DATA_HOME=.jupyter/data` (Deno's installer writes to the
 * XDG data folder); nbconvert runs with `JUPYTER_PATH` pointing there, with `/usr/bin/python3`
 * (Debian's Python, not whatever `python3` comes first on PATH), and from `notebooks/` so the
 * kernel finds the project's deno.json.
 *
 * @module
 */

import { runCommand } from "../core/command.ts";
import { parseArgs } from "node:util";
import { aptInstall } from "../tools/apt.ts";

const PYTHON = "/usr/bin/python3";
const APT_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "jupyter-client", "python3-ipykernel"];

/** Repository root (this file lives in notebooks/). */
export const REPO_ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const NOTEBOOK_DIR = `${REPO_ROOT}/notebooks`;
const JUPYTER_DIR = `${REPO_ROOT}/.jupyter`;
const KERNEL_DATA = `${JUPYTER_DIR}/data/jupyter`;


/** Install Debian's Jupyter packages when `/usr/bin/python3` cannot import them. */
export async function ensureJupyter(log: (s: string) => void = console.error): Promise<void> {
  const probe = ["-c", "import nbconvert, nbclient, jupyter_client, ipykernel"];
  if ((await runCommand(PYTHON, probe)).code === 0) return;
  if (Deno.uid() !== 0) {
    throw new Error(
      `notebooks: ${PYTHON} lacks nbconvert/nbclient/jupyter_client/ipykernel and this process is not root; install with: sudo apt-get install -y ${
        APT_PACKAGES.join(" ")
      }`,
    );
  }
  log(`notebooks: installing ${APT_PACKAGES.join(" ")} with apt-get`);
  const r = await aptInstall(APT_PACKAGES);
  if (!r.ok || (await runCommand(PYTHON, probe)).code !== 0) {
    throw new Error(`notebooks: apt-get install failed:\n${r.output.slice(-2000)}`);
  }
}

/** Register this Deno executable as the "deno" kernel under `.jupyter/` (idempotent). */
export async function ensureDenoKernel(log: (s: string) => void = console.error): Promise<string> {
  const spec = `${KERNEL_DATA}/kernels/deno/kernel.json`;
  const exe = Deno.execPath();
  try {
    const k = JSON.parse(await Deno.readTextFile(spec)) as { argv?: string[] };
    if (k.argv?.[0] === exe) return spec;
  } catch {
    // not installed yet
  }
  log(`notebooks: registering the Deno kernel (${exe}) in ${KERNEL_DATA}`);
  const r = await runCommand(exe, ["jupyter", "--install", "--force"], {
    env: { XDG_DATA_HOME: `${JUPYTER_DIR}/data` },
  });
  let ok = false;
  try {
    // The installer may record a launcher (e.g. npm's node_modules/.bin/deno) instead of the
    // running executable: register exactly Deno.execPath().
    const k = JSON.parse(await Deno.readTextFile(spec)) as { argv?: string[] };
    if (Array.isArray(k.argv) && k.argv.length > 1 && k.argv.includes("--kernel")) {
      k.argv[0] = exe;
      await Deno.writeTextFile(spec, JSON.stringify(k, null, 2) + "\n");
      ok = true;
    }
  } catch {
    ok = false;
  }
  if (r.code !== 0 || !ok) {
    throw new Error(`notebooks: deno jupyter --install failed (${spec}):\n${r.stdout}${r.stderr}`);
  }
  return spec;
}

/** The notebooks of notebooks/, sorted. */
export async function listNotebooks(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOK_DIR)) {
    if (e.isFile && e.name.endsWith(".ipynb")) out.push(e.name);
  }
  return out.sort();
}

interface NotebookJson {
  cells: { cell_type: string; source: string | string[] }[];
}

/** Index (0-based, counting every cell) of the code cell whose source appears in `errorText`. */
export function failingCell(nb: NotebookJson, errorText: string): number | null {
  let best: number | null = null;
  let bestLen = 0;
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    const src = (Array.isArray(c.source) ? c.source.join("") : c.source).trim();
    if (src && errorText.includes(src) && src.length > bestLen) {
      best = i;
      bestLen = src.length;
    }
  });
  return best;
}

/** Result of executing one notebook. */
export type NotebookResult =
  | { notebook: string; ok: true; output: string }
  | { notebook: string; ok: false; cell: number | null; error: string };

/**
 * Execute notebooks headless with nbconvert (outputs go to `outDir`; the sources are untouched).
 *
 * @example
 * ```ts
 * const results = await runNotebooks({ outDir: await Deno.makeTempDir() });
 * ```
 */
export async function runNotebooks(
  opts: { outDir: string; names?: string[]; timeoutSeconds?: number; env?: Record<string, string> },
): Promise<NotebookResult[]> {
  await ensureJupyter();
  await ensureDenoKernel();
  const names = opts.names?.length ? opts.names : await listNotebooks();
  const runtime = await Deno.makeTempDir({ prefix: "jupyter_runtime_" });
  const results: NotebookResult[] = [];
  try {
    for (const name of names) {
      const file = name.endsWith(".ipynb") ? name : `${name}.ipynb`;
      const path = `${NOTEBOOK_DIR}/${file}`;
      const nb = JSON.parse(await Deno.readTextFile(path)) as NotebookJson;
      const r = await runCommand(PYTHON, [
        "-m",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.kernel_name=deno",
        `--ExecutePreprocessor.timeout=${opts.timeoutSeconds ?? 900}`,
        "--output-dir",
        opts.outDir,
        file,
      ], {
        cwd: NOTEBOOK_DIR,
        env: {
          JUPYTER_PATH: KERNEL_DATA,
          JUPYTER_DATA_DIR: KERNEL_DATA,
          JUPYTER_CONFIG_DIR: `${JUPYTER_DIR}/config`,
          JUPYTER_RUNTIME_DIR: runtime,
          PYDEVD_DISABLE_FILE_VALIDATION: "1",
          NO_COLOR: "1",
          ...(opts.env ?? {}),
        },
      });
      if (r.code === 0) results.push({ notebook: file, ok: true, output: `${opts.outDir}/${file}` });
      else {
        results.push({
          notebook: file,
          ok: false,
          cell: failingCell(nb, r.stderr),
          error: r.stderr.slice(-4000),
        });
      }
    }
  } finally {
    await Deno.remove(runtime, { recursive: true }).catch(() => undefined);
  }
  return results;
}

/** `deno task notebooks [NAME...] [--out DIR]`; returns the exit code. */
export async function notebooksCli(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  const outDir = values.out ?? await Deno.makeTempDir({ prefix: "notebooks_out_" });
  const results = await runNotebooks({ outDir, names: positionals });
  let failed = 0;
  for (const r of results) {
    if (r.ok) console.log(`ok    notebooks/${r.notebook} -> ${r.output}`);
    else {
      failed++;
      console.error(
        `FAIL  notebooks/${r.notebook}: cell ${r.cell === null ? "(unknown)" : r.cell} failed\n${r.error}`,
      );
    }
  }
  console.log(`${results.length - failed} notebook(s) ran, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await notebooksCli(Deno.args));
