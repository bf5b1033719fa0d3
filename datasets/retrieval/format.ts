/**
 * The observation text the policy sees for retrieved passages (Search-R1's format).
 * @module
 */

/**
 * Search-R1's observation text for retrieved passages: `Doc {i+1}(Title: {title}) {text}\n`
 * per passage (PeterGriffinJin/Search-R1 `_passages2string`). Search-R1 takes the title as
 * the raw first line of `contents`, which in wiki-18 keeps its double quotes; `quoteTitles`
 * (default true) reproduces that byte for byte, `false` prints the bare title.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatDocs([{ title: "A", text: "x" }]), 'Doc 1(Title: "A") x\n');
 * ```
 */
export function formatDocs(
  passages: readonly { title: string; text: string }[],
  opts: { quoteTitles?: boolean } = {},
): string {
  const quote = opts.quoteTitles ?? true;
  let out = "";
  passages.forEach((p, i) => {
    const title = quote ? `"${p.title}"` : p.title;
    out += `Doc ${i + 1}(Title: ${title}) ${p.text}\n`;
  });
  return out;
}
