/**
 * Test helper: the project's `main.ts` run as a subprocess, as `deno task <verb>` runs it, with
 * the repository's `deno.json` (so it may run from any folder); its exit code and output.
 *
 * @module
 */

/** The repository's `main.ts` (the entry point of every `deno task` verb). */
export const MAIN: string = new URL("../main.ts", import.meta.url).pathname;

/** The repository's `deno.json`. */
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** How a subprocess ended: its exit code, stdout and stderr. */
export interface MainOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `main.ts` with `args` (`["credit", "--help"]`) in a subprocess, in folder `cwd` (default:
 * this process's), and wait for it to end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { code, stdout } = await runMain(["credit", "--help"], { cwd: "/" });
 * assert.equal(code, 0);
 * assert.match(stdout, /usage: deno task credit/);
 * ```
 */
export async function runMain(args: string[], opts: { cwd?: string } = {}): Promise<MainOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, MAIN, ...args],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
