/**
 * Test helpers for servers run as subprocesses (`@creditlab/serving/testing`; not part of the
 * package's main entry point).
 *
 * @module
 */

/**
 * Read `reader` until the text read so far matches `re`: the match (null when the stream ends
 * first) and the text read.
 */
export async function readUntilMatch(
  reader: ReadableStreamDefaultReader<string>,
  re: RegExp,
): Promise<{ match: RegExpExecArray | null; text: string }> {
  let text = "";
  for (;;) {
    const match = re.exec(text);
    if (match) return { match, text };
    const { done, value } = await reader.read();
    if (done) return { match: null, text };
    text += value;
  }
}

/** A CLI server started by {@link spawnServer}. */
export interface SpawnedServer {
  /** The URL it printed (`listening on <url>`). */
  url: string;
  /** Its stderr up to that line. */
  text: string;
  /** SIGTERM, wait for the process to end and drop its stderr; resolves with its exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Run `deno run -A <main> ...args` (a serving verb of main.ts) and wait until its stderr says
 * `listening on <url>`; throws with the stderr read when the process exits first.
 */
export async function spawnServer(main: string, args: readonly string[]): Promise<SpawnedServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* it has exited */ }
    const status = await child.status;
    await reader.cancel().catch(() => {});
    return status;
  };
  const { match, text } = await readUntilMatch(reader, /listening on (http:\S+)/);
  if (!match) {
    await stop();
    throw new Error(`${args[0]} exited: ${text}`);
  }
  return { url: match[1]!, text, stop };
}
