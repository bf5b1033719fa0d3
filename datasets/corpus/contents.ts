/**
 * The FlashRAG / Search-R1 corpus `contents` field: a document's title and text in one string.
 * The corpus parser reads it; the `/retrieve` server and client write and read it on the wire.
 * @module
 */

/**
 * FlashRAG / Search-R1 corpus `contents`: the title in double quotes, a newline, the text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = toContents({ title: "Evan Morris", text: "Evan L. Morris ..." });
 * assert.equal(c, '"Evan Morris"\nEvan L. Morris ...');
 * ```
 */
export function toContents(doc: { title: string; text: string }): string {
  return `"${doc.title}"\n${doc.text}`;
}

/**
 * Split FlashRAG `contents` into title and text: the first line, with one pair of surrounding
 * double quotes removed, is the title; the rest is the text. Contents without a newline have
 * an empty title.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const doc = fromContents('"Evan Morris"\nEvan L. Morris');
 * assert.deepEqual(doc, { title: "Evan Morris", text: "Evan L. Morris" });
 * ```
 */
export function fromContents(contents: string): { title: string; text: string } {
  const nl = contents.indexOf("\n");
  if (nl < 0) return { title: "", text: contents };
  let title = contents.slice(0, nl).trim();
  if (title.length >= 2 && title.startsWith('"') && title.endsWith('"')) {
    title = title.slice(1, -1);
  }
  return { title, text: contents.slice(nl + 1) };
}
