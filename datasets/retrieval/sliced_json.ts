/**
 * JSON bodies decoded and encoded in slices, so that a large request (a 4 MiB body parses in
 * 5-25 ms; a 3.5 MB answer encodes in 5-15 ms; serve-credit's 25 MB body decodes in 25-35 ms
 * and parses in 120-180 ms) does not hold the event loop for longer than a
 * {@link TimeSlicer} slice (see http_guard.ts).
 *
 * @module
 */
import { TimeSlicer } from "./time_slicer.ts";

/** Options of {@link parseJsonSliced}. */
export interface SlicedJsonOptions {
  /** Yields between pieces (default: a new 10 ms slicer). */
  slicer?: TimeSlicer;
  /** Largest piece handed to `JSON.parse` at once, in characters or bytes (default 65,536). */
  pieceChars?: number;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_ARRAY = 91, CLOSE_ARRAY = 93, OPEN_OBJECT = 123, CLOSE_OBJECT = 125;
/** 1 for the characters the scan stops at: quote, comma, brackets and braces. */
const STOPS = new Uint8Array(128);
for (const c of [QUOTE, COMMA, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT]) STOPS[c] = 1;

/** The text was not the JSON the scanner expected: parse it whole for the native error. */
class NotSplittable extends Error {}

/**
 * Parse JSON text as `JSON.parse` does (the same value, or the same `SyntaxError`), in pieces:
 * one scan (pausing `slicer` every `pieceChars` characters) finds the arrays and objects over
 * `pieceChars` characters and their top-level commas; each is then split into runs of elements
 * of at most `pieceChars` characters, each parsed by `JSON.parse` and followed by
 * `slicer.pause()`. Text up to `pieceChars` is parsed at once. Malformed text is parsed whole,
 * once, for the error.
 *
 * The text may be UTF-8 bytes (a request body as read): then it is scanned as bytes and only
 * the pieces are decoded, so that no step decodes (or copies) the whole body; the value or
 * error is `JSON.parse(new TextDecoder().decode(bytes))`'s (a leading byte order mark is
 * skipped, malformed UTF-8 becomes U+FFFD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = JSON.stringify({ queries: Array.from({ length: 10_000 }, (_, i) => `q ${i}`), topk: 3 });
 * assert.deepEqual(await parseJsonSliced(text, { pieceChars: 1024 }), JSON.parse(text));
 * const bytes = new TextEncoder().encode(text);
 * assert.deepEqual(await parseJsonSliced(bytes, { pieceChars: 1024 }), JSON.parse(text));
 * await assert.rejects(parseJsonSliced('{"queries": [1, 2,]}', { pieceChars: 4 }), SyntaxError);
 * ```
 */
export async function parseJsonSliced(
  text: string | Uint8Array,
  opts: SlicedJsonOptions = {},
): Promise<unknown> {
  const piece = opts.pieceChars ?? 65_536;
  if (!Number.isInteger(piece) || piece < 1) {
    throw new RangeError(`parseJsonSliced: pieceChars must be a positive integer, got ${piece}`);
  }
  const whole = () => typeof text === "string" ? text : new TextDecoder().decode(text);
  if (text.length <= piece) return JSON.parse(whole());
  const ctx: Ctx = {
    ...(typeof text === "string" ? stringSource(text) : bytesSource(text)),
    piece,
    slicer: opts.slicer ?? new TimeSlicer(),
  };
  try {
    const start = skipSpace(ctx, ctx.start);
    const end = trimEnd(ctx, ctx.length);
    const first = ctx.at(start);
    if (first !== OPEN_ARRAY && first !== OPEN_OBJECT) {
      await ctx.slicer.pause();
      return JSON.parse(ctx.text(start, end));
    }
    return await parseNode(await scan(start, end, ctx), ctx);
  } catch (e) {
    if (!(e instanceof NotSplittable) && !(e instanceof SyntaxError)) throw e;
    return JSON.parse(whole()); // throws the native message (or parses what the scanner refused)
  }
}

/** The text the scanner reads: characters (a string) or bytes (UTF-8). */
interface Source {
  /** Where the value starts (after a byte order mark of bytes). */
  start: number;
  length: number;
  /** The string, or null for bytes. */
  str: string | null;
  /** The bytes, or null for a string. */
  bytes: Uint8Array | null;
  /** The character code or byte at `i` (NaN outside the text). */
  at(i: number): number;
  /** The text of `[from, to)` (decoded, for bytes). */
  text(from: number, to: number): string;
}

function stringSource(text: string): Source {
  return {
    start: 0,
    length: text.length,
    str: text,
    bytes: null,
    at: (i) => text.charCodeAt(i),
    text: (from, to) => text.slice(from, to),
  };
}

function bytesSource(bytes: Uint8Array): Source {
  // Pieces keep a U+FEFF they start with (JSON.parse refuses it, as in the whole text).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return {
    start: bom ? 3 : 0,
    length: bytes.length,
    str: null,
    bytes,
    at: (i) => bytes[i] ?? NaN,
    text: (from, to) => decoder.decode(bytes.subarray(from, to)),
  };
}

interface Ctx extends Source {
  piece: number;
  slicer: TimeSlicer;
}

/** An array or object of over `piece` characters: `[start, end)`, its top-level commas, and its elements of over `piece` characters. */
interface Node {
  start: number;
  end: number;
  commas: Int32Array;
  large: Node[];
}

/**
 * One pass over the array or object `[start, end)`: the tree of its arrays and objects over
 * `piece` characters, each with its top-level commas (outside strings). Commas are kept on one
 * stack: an element's commas are dropped when it closes, unless it is large. Strings, and
 * small arrays without strings, arrays or objects in them (token ids, masks, log-probs), are
 * skipped by `indexOf` (their text is checked by the `JSON.parse` of the piece they are in).
 */
async function scan(start: number, end: number, ctx: Ctx): Promise<Node> {
  const { str, bytes, piece } = ctx;
  /** Index of the next `code` at or after `from` (Infinity: none). */
  const find = (code: number, from: number): number => {
    const j = bytes !== null
      ? bytes.indexOf(code, from)
      : str!.indexOf(String.fromCharCode(code), from);
    return j < 0 ? Infinity : j;
  };
  // The next `]`, quote, `[` and `{` after the last `[` (stale once the scan has passed them).
  let nextClose = -1, nextQuote = -1, nextArray = -1, nextObject = -1;
  let commas = new Int32Array(1024);
  let top = 0; // commas on the stack
  // open containers: start, close character, where their commas begin, their large elements
  const frames: { start: number; close: number; from: number; large: Node[] }[] = [];
  let root: Node | null = null;
  let scanFrom = start;
  for (let chunk = start; chunk < end; chunk += piece) {
    await ctx.slicer.pause();
    const stop = Math.min(end, chunk + piece);
    let i = chunk;
    // a string that started in the previous chunk was skipped whole: resume after it
    if (i < scanFrom) i = scanFrom;
    for (; i < stop; i++) {
      const c = bytes !== null ? bytes[i]! : str!.charCodeAt(i);
      if (c >= 128 || STOPS[c] === 0) continue;
      if (c === QUOTE) {
        i = stringEnd(ctx, i, end);
        continue;
      }
      if (root !== null) throw new NotSplittable(); // more after the value
      if (c === COMMA) {
        if (frames.length === 0) throw new NotSplittable();
        if (top === commas.length) {
          const grown = new Int32Array(commas.length * 2);
          grown.set(commas);
          commas = grown;
        }
        commas[top++] = i;
      } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (c === OPEN_ARRAY && frames.length > 0) {
          // A small flat array: skip to its end (its commas are not needed).
          if (nextClose <= i) nextClose = find(CLOSE_ARRAY, i + 1);
          if (nextClose + 1 - i <= piece) {
            if (nextQuote <= i) nextQuote = find(QUOTE, i + 1);
            if (nextArray <= i) nextArray = find(OPEN_ARRAY, i + 1);
            if (nextObject <= i) nextObject = find(OPEN_OBJECT, i + 1);
            if (nextClose < nextQuote && nextClose < nextArray && nextClose < nextObject) {
              i = nextClose;
              continue;
            }
          }
        }
        frames.push({
          start: i,
          close: c === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT,
          from: top,
          large: [],
        });
      } else {
        const f = frames.pop();
        if (f === undefined || f.close !== c) throw new NotSplittable();
        if (i + 1 - f.start > piece || frames.length === 0) {
          const node = {
            start: f.start,
            end: i + 1,
            commas: commas.slice(f.from, top),
            large: f.large,
          };
          if (frames.length === 0) root = node;
          else frames[frames.length - 1]!.large.push(node);
        }
        top = f.from;
      }
    }
    scanFrom = i;
  }
  if (root === null || frames.length > 0 || root.end !== end) throw new NotSplittable();
  return root;
}
/** Parse a large array or object found by {@link scan}, element by element or in runs. */
async function parseNode(node: Node, ctx: Ctx): Promise<unknown> {
  const { commas } = node;
  const itemCount = commas.length + 1;
  const itemStart = (i: number) => (i === 0 ? node.start + 1 : commas[i - 1]! + 1);
  const itemEnd = (i: number) => (i === commas.length ? node.end - 1 : commas[i]!);
  const large = new Map(node.large.map((n) => [n.start, n]));
  const value = async (s: number, e: number): Promise<unknown> => {
    const from = skipSpace(ctx, s);
    const child = large.get(from);
    if (child !== undefined) {
      if (skipSpace(ctx, child.end) < e) throw new NotSplittable(); // [[1] 2]
      return await parseNode(child, ctx);
    }
    await ctx.slicer.pause();
    return JSON.parse(ctx.text(from, trimEnd(ctx, e)));
  };
  if (ctx.at(node.start) === OPEN_ARRAY) {
    if (commas.length === 0 && skipSpace(ctx, node.start + 1) === node.end - 1) return [];
    const out: unknown[] = [];
    // runs of consecutive small items of at most `piece` characters, each parsed at once
    let runStart = -1, runEnd = -1;
    const flush = async () => {
      if (runStart < 0) return;
      await ctx.slicer.pause();
      for (const v of JSON.parse(`[${ctx.text(runStart, runEnd)}]`) as unknown[]) out.push(v);
      runStart = -1;
    };
    for (let i = 0; i < itemCount; i++) {
      const s = itemStart(i), e = itemEnd(i);
      const from = skipSpace(ctx, s);
      if (from >= e) throw new NotSplittable(); // [1,,2] or [1, 2,]
      if (e - s > ctx.piece || large.has(from)) {
        await flush();
        out.push(await value(s, e));
      } else if (runStart >= 0 && e - runStart <= ctx.piece) runEnd = e;
      else {
        await flush();
        runStart = s;
        runEnd = e;
      }
    }
    await flush();
    return out;
  }
  const out: Record<string, unknown> = {};
  if (commas.length === 0 && skipSpace(ctx, node.start + 1) === node.end - 1) return out;
  for (let i = 0; i < itemCount; i++) {
    const s = skipSpace(ctx, itemStart(i)), e = itemEnd(i);
    const colon = memberColon(ctx, s, e);
    const key = JSON.parse(ctx.text(s, colon));
    if (typeof key !== "string") throw new NotSplittable();
    // defineProperty: a "__proto__" member is an own property, as JSON.parse makes it
    Object.defineProperty(out, key, {
      value: await value(colon + 1, e),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

/** Index of the quote closing the string opening at `open` (before `to`). */
function stringEnd(ctx: Source, open: number, to: number): number {
  let i = open;
  for (;;) {
    i = ctx.bytes !== null ? ctx.bytes.indexOf(QUOTE, i + 1) : ctx.str!.indexOf('"', i + 1);
    if (i < 0 || i >= to) throw new NotSplittable();
    let slashes = 0;
    while (ctx.at(i - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return i;
  }
}

/** Index of the colon after an object member's key string starting at `s`. */
function memberColon(ctx: Source, s: number, e: number): number {
  if (ctx.at(s) !== QUOTE) throw new NotSplittable();
  const colon = skipSpace(ctx, stringEnd(ctx, s, e) + 1);
  if (ctx.at(colon) !== COLON) throw new NotSplittable();
  return colon;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function skipSpace(ctx: Source, i: number): number {
  while (i < ctx.length && isSpace(ctx.at(i))) i++;
  return i;
}

function trimEnd(ctx: Source, end: number): number {
  while (end > 0 && isSpace(ctx.at(end - 1))) end--;
  return end;
}

/**
 * A JSON answer written piece by piece (e.g. one list per query) and encoded to UTF-8 in
 * chunks as it grows, so that no single step encodes the whole answer; {@link bytes} joins the
 * chunks, pausing between them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const body = new JsonChunks({ chunkChars: 8 });
 * body.write('{"result":[');
 * ["a", "b"].forEach((q, i) => body.write(`${i > 0 ? "," : ""}${JSON.stringify([q])}`));
 * body.write("]}");
 * const bytes = await body.bytes();
 * assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), { result: [["a"], ["b"]] });
 * ```
 */
export class JsonChunks {
  readonly #chunkChars: number;
  readonly #encoder = new TextEncoder();
  readonly #chunks: Uint8Array[] = [];
  #pending: string[] = [];
  #pendingChars = 0;
  #size = 0;

  constructor(opts: { chunkChars?: number } = {}) {
    this.#chunkChars = opts.chunkChars ?? 65_536;
  }

  /** Append text (encoded once 64 K characters have gathered). */
  write(text: string): void {
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (this.#pendingChars >= this.#chunkChars) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const chunk = this.#encoder.encode(this.#pending.join(""));
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    this.#pending = [];
    this.#pendingChars = 0;
  }

  /** The whole text as UTF-8 bytes (copied chunk by chunk, pausing `slicer` between them). */
  async bytes(slicer: TimeSlicer = new TimeSlicer()): Promise<Uint8Array<ArrayBuffer>> {
    this.#flush();
    const out = new Uint8Array(this.#size);
    let off = 0;
    for (const c of this.#chunks) {
      await slicer.pause();
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
}
