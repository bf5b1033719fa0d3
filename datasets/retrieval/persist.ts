/**
 * Save and load a {@link Bm25Index} as one binary file, so a 1M-passage corpus is not
 * re-tokenized on every start.
 *
 * Layout (all integers little-endian):
 *
 *     "CLBM25\0\1"                      8-byte magic (format version 1)
 *     u32 header byte length, header    JSON: { params, numDocs, vocabSize, numPostings, sections }
 *     sections, each padded to 8 bytes  vocab (terms joined by "\n", UTF-8), docLens u32[N],
 *                                       offsets u32[V+1], postDocs u32[nnz], postTf u16[nnz],
 *                                       ids, titles, texts (each: u32 byte lengths[N] + UTF-8)
 *
 * Impacts are not stored; they are recomputed on load (which also lets k1 and b change).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { Bm25Index } from "./bm25.ts";
 * const index = Bm25Index.build([{ id: "0", title: "Lilu", text: "Lilu is a demon." }]);
 * const dir = await Deno.makeTempDir();
 * await saveIndex(index, join(dir, "wiki.bm25"));
 * const same = await loadIndex(join(dir, "wiki.bm25"));
 * assert.deepEqual(same.search("demon", 1), index.search("demon", 1));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { type Bm25Arrays, Bm25Index, type Bm25Params } from "./bm25.ts";

const MAGIC = new Uint8Array([0x43, 0x4c, 0x42, 0x4d, 0x32, 0x35, 0x00, 0x01]); // "CLBM25\0\1"

interface Header {
  params: Bm25Params;
  numDocs: number;
  vocabSize: number;
  numPostings: number;
  /** Byte length of each section, in file order. */
  sections: { name: string; bytes: number }[];
}

function stringsBlob(xs: string[]): Uint8Array[] {
  const enc = new TextEncoder();
  const lens = new Uint32Array(xs.length);
  const parts: Uint8Array[] = [new Uint8Array(lens.buffer)];
  xs.forEach((s, i) => {
    const b = enc.encode(s);
    lens[i] = b.byteLength;
    parts.push(b);
  });
  return parts;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Write `index` to `path` (overwrites; written to `path.tmp` then renamed). */
export async function saveIndex(index: Bm25Index, path: string): Promise<void> {
  const { docs, arrays } = index.toArrays();
  const sections: { name: string; parts: Uint8Array[] }[] = [
    { name: "vocab", parts: [new TextEncoder().encode(arrays.vocab.join("\n"))] },
    { name: "docLens", parts: [bytesOf(arrays.docLens)] },
    { name: "offsets", parts: [bytesOf(arrays.offsets)] },
    { name: "postDocs", parts: [bytesOf(arrays.postDocs)] },
    { name: "postTf", parts: [bytesOf(arrays.postTf)] },
    { name: "ids", parts: stringsBlob(docs.ids) },
    { name: "titles", parts: stringsBlob(docs.titles) },
    { name: "texts", parts: stringsBlob(docs.texts) },
  ];
  const header: Header = {
    params: { ...index.params },
    numDocs: index.numDocs,
    vocabSize: index.vocabSize,
    numPostings: index.numPostings,
    sections: sections.map((s) => ({
      name: s.name,
      bytes: s.parts.reduce((a, p) => a + p.byteLength, 0),
    })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    let pos = 0;
    const write = (b: Uint8Array) => {
      let off = 0;
      while (off < b.byteLength) off += writeSync(fd, b, off, b.byteLength - off);
      pos += b.byteLength;
    };
    const pad = () => {
      const r = pos % 8;
      if (r !== 0) write(new Uint8Array(8 - r));
    };
    write(MAGIC);
    write(new Uint8Array(new Uint32Array([headerBytes.byteLength]).buffer));
    write(headerBytes);
    pad();
    for (const s of sections) {
      for (const p of s.parts) write(p);
      pad();
    }
  } finally {
    closeSync(fd);
  }
  await Deno.rename(tmp, path);
}

function readStrings(bytes: Uint8Array, n: number, where: string): string[] {
  if (bytes.byteLength < 4 * n) throw new Error(`${where}: truncated length table`);
  const lens = new Uint32Array(bytes.slice(0, 4 * n).buffer);
  const dec = new TextDecoder("utf-8", { fatal: true });
  const out = new Array<string>(n);
  let off = 4 * n;
  for (let i = 0; i < n; i++) {
    const end = off + lens[i]!;
    if (end > bytes.byteLength) throw new Error(`${where}: string ${i} runs past the section end`);
    out[i] = dec.decode(bytes.subarray(off, end));
    off = end;
  }
  return out;
}

/**
 * Load an index written by {@link saveIndex}. `opts` may override k1 and b.
 * Throws naming the file and what is wrong on a truncated or foreign file.
 */
export async function loadIndex(
  path: string,
  opts: { k1?: number; b?: number } = {},
): Promise<Bm25Index> {
  const buf = await Deno.readFile(path);
  const fail = (what: string): never => {
    throw new Error(`loadIndex ${path}: ${what}`);
  };
  if (buf.byteLength < 12 || !MAGIC.every((b, i) => buf[i] === b)) {
    fail("not a creditlab BM25 index (bad magic; expected format version 1)");
  }
  const hlen = new DataView(buf.buffer, buf.byteOffset + 8, 4).getUint32(0, true);
  if (12 + hlen > buf.byteLength) fail("truncated header");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + hlen))) as Header;
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const names = ["vocab", "docLens", "offsets", "postDocs", "postTf", "ids", "titles", "texts"];
  if (
    !Array.isArray(header.sections) || header.sections.map((s) => s.name).join() !== names.join()
  ) {
    fail(`header.sections: expected ${names.join(", ")}`);
  }
  let pos = 12 + hlen;
  pos += (8 - (pos % 8)) % 8;
  const sec = new Map<string, Uint8Array>();
  for (const s of header.sections) {
    if (pos + s.bytes > buf.byteLength) fail(`section ${s.name} is truncated`);
    sec.set(s.name, buf.subarray(pos, pos + s.bytes));
    pos += s.bytes;
    pos += (8 - (pos % 8)) % 8;
  }
  const view = <T>(
    name: string,
    make: (b: ArrayBuffer, off: number, len: number) => T,
    size: number,
  ): T => {
    const b = sec.get(name)!;
    if (b.byteLength % size !== 0) {
      fail(`section ${name}: ${b.byteLength} bytes is not a multiple of ${size}`);
    }
    return make(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / size);
  };
  const n = header.numDocs;
  const vocabText = new TextDecoder().decode(sec.get("vocab")!);
  const vocab = header.vocabSize === 0 ? [] : vocabText.split("\n");
  if (vocab.length !== header.vocabSize) {
    fail(`vocab has ${vocab.length} terms, header says ${header.vocabSize}`);
  }
  const arrays: Bm25Arrays = {
    vocab,
    docLens: view("docLens", (b, o, l) => new Uint32Array(b, o, l), 4),
    offsets: view("offsets", (b, o, l) => new Uint32Array(b, o, l), 4),
    postDocs: view("postDocs", (b, o, l) => new Uint32Array(b, o, l), 4),
    postTf: view("postTf", (b, o, l) => new Uint16Array(b, o, l), 2),
  };
  const docs = {
    ids: readStrings(sec.get("ids")!, n, `loadIndex ${path}: ids`),
    titles: readStrings(sec.get("titles")!, n, `loadIndex ${path}: titles`),
    texts: readStrings(sec.get("texts")!, n, `loadIndex ${path}: texts`),
  };
  try {
    return Bm25Index.fromArrays(docs, arrays, header.params, opts);
  } catch (e) {
    return fail((e as Error).message);
  }
}
