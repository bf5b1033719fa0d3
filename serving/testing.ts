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
