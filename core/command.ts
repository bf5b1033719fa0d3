/**
 * Run a program to its end with its output captured: `@creditlab/core/command` (not part of
 * mod.ts). A program that cannot be started (not installed, not executable) is exit code 127
 * with the reason on stderr, as a shell reports it, instead of a thrown error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./command.ts";
 * const r = await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"]);
 * assert.deepEqual(r, { code: 3, stdout: "out\n", stderr: "err\n" });
 * assert.equal((await runCommand("/no/such/program", [])).code, 127);
 * ```
 * @module
 */

/** Where and with what environment to run a program. */
export interface CommandOptions {
  /** Environment variables added to the inherited environment. */
  env?: Record<string, string>;
  cwd?: string;
}

/** A finished program: its exit code and its decoded output. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd` with `args` and wait for it; 127 when it cannot be started. */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  opts: CommandOptions = {},
): Promise<CommandResult> {
  try {
    const o = await new Deno.Command(cmd, {
      args: [...args],
      stdout: "piped",
      stderr: "piped",
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    }).output();
    const td = new TextDecoder();
    return { code: o.code, stdout: td.decode(o.stdout), stderr: td.decode(o.stderr) };
  } catch (e) {
    return { code: 127, stdout: "", stderr: `${cmd}: ${(e as Error).message}` };
  }
}
