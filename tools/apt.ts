/**
 * Installing Debian packages on demand: what `tools/setup.ts` and the tests that need a system
 * program (Chromium, Jupyter, python3-torch) share. Non-interactive `apt-get install -y`; when it
 * fails (a stale package index on a fresh machine), `apt-get update` and one more try.
 *
 * @module
 */
import { runCommand } from "../core/command.ts";

/** What an apt-get call printed and whether it succeeded. */
export interface AptResult {
  ok: boolean;
  /** Its stdout and stderr, joined. */
  output: string;
}

async function aptGet(args: readonly string[]): Promise<AptResult> {
  const r = await runCommand("apt-get", args, { env: { DEBIAN_FRONTEND: "noninteractive" } });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

/**
 * `apt-get install -y [--no-install-recommends] PACKAGES`, refreshing the index and retrying once
 * on failure. The caller checks that it is root first (see {@link isRoot}).
 */
export async function aptInstall(
  packages: readonly string[],
  opts: { recommends?: boolean } = {},
): Promise<AptResult> {
  const args = [
    "install",
    "-y",
    ...(opts.recommends === false ? ["--no-install-recommends"] : []),
    ...packages,
  ];
  const first = await aptGet(args);
  if (first.ok) return first;
  await aptGet(["update"]);
  return await aptGet(args);
}

/** Whether this process may install packages (root on Linux). */
export function isRoot(): boolean {
  return Deno.build.os === "linux" && Deno.uid() === 0;
}
