/**
 * JSON bodies decoded and encoded in slices, so that a large request (a 4 MiB body parses in
 * 5-25 ms; a 3.5 MB answer encodes in 5-15 ms) does not hold the event loop for longer than a
 * {@link TimeSlicer} slice (see http_guard.ts).
 *
 * @module
 */
import { TimeSlicer } from "./time_slicer.ts";

/** Options of {@link parseJsonSliced}. */
export interface SlicedJsonOptions {
  /** Yields between pieces (default: a new 10 ms slicer). */
  slicer?: TimeSlicer;
  /** Largest piece handed to `JSON.parse` at once, in characters (default 65,536). */
  pieceChars?: number;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_ARRAY = 91, CLOSE_ARRAY = 93, OPEN_OBJECT = 123, CLOSE_OBJECT = 125;

/** The text was not the JSON the scanner expected: parse it whole for the native error. */
class NotSplittable extends Error {}

/**
 * Parse JSON text as `JSON.parse` does (the same value, or the same `SyntaxError`), in pieces:
 * a large array or object is split at its top-level commas into runs of elements of at most
 * `pieceChars` characters, each parsed by `JSON.parse` and followed by `slicer.pause()`. Text
 * up to `pieceChars` is parsed at once. Malformed text is parsed whole, once, for the error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = JSON.stringify({ queries: Array.from({ length: 10_000 }, (_, i) => `q ${i}`), topk: 3 });
 * assert.deepEqual(await parseJsonSliced(text, { pieceChars: 1024 }), JSON.parse(text));
 * await assert.rejects(parseJsonSliced('{"queries": [1, 2,]}', { pieceChars: 4 }), SyntaxError);
 * ```
 */
export async function parseJsonSliced(
  text: string,
  opts: SlicedJsonOptions = {},
): Promise<unknown> {
  const piece = opts.pieceChars ?? 65_536;
  if (!Number.isInteger(piece) || piece < 1) {
    throw new RangeError(`parseJsonSliced: pieceChars must be a positive integer, got ${piece}`);
  }
  if (text.length <= piece) return JSON.parse(text);
  const slicer = opts.slicer ?? new TimeSlicer();
  try {
    return await parseSpan(text, 0, text.length, { piece, slicer });
  } catch (e) {
    if (!(e instanceof NotSplittable) && !(e instanceof SyntaxError)) throw e;
    return JSON.parse(text); // throws the native message (or parses what the scanner refused)
  }
}

interface Ctx {
  piece: number;
  slicer: TimeSlicer;
}

async function parseSpan(text: string, from: number, to: number, ctx: Ctx): Promise<unknown> {
  const start = skipSpace(text, from);
  const end = trimEnd(text, to);
  const first = text.charCodeAt(start);
  if (end - start <= ctx.piece || (first !== OPEN_ARRAY && first !== OPEN_OBJECT)) {
    await ctx.slicer.pause();
    return JSON.parse(text.slice(start, end));
  }
  const close = first === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT;
  if (text.charCodeAt(end - 1) !== close) throw new NotSplittable();
  // items: (start + 1, commas[0]), (commas[0] + 1, commas[1]), ..., (commas[last] + 1, end - 1)
  const commas = await topLevelCommas(text, start + 1, end - 1, ctx);
  const itemCount = commas.length + 1;
  const itemStart = (i: number) => (i === 0 ? start + 1 : commas[i - 1]! + 1);
  const itemEnd = (i: number) => (i === commas.length ? end - 1 : commas[i]!);
  if (first === OPEN_ARRAY) {
    if (commas.length === 0 && skipSpace(text, start + 1) === end - 1) return [];
    const out: unknown[] = [];
    // runs of consecutive items of at most `piece` characters, each parsed at once
    let runStart = -1, runEnd = -1;
    const flush = async () => {
      if (runStart < 0) return;
      await ctx.slicer.pause();
      for (const v of JSON.parse(`[${text.slice(runStart, runEnd)}]`) as unknown[]) out.push(v);
      runStart = -1;
    };
    for (let i = 0; i < itemCount; i++) {
      const s = itemStart(i), e = itemEnd(i);
      if (skipSpace(text, s) >= e) throw new NotSplittable(); // [1,,2] or [1, 2,]
      if (e - s > ctx.piece) {
        await flush();
        out.push(await parseSpan(text, s, e, ctx));
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
  if (commas.length === 0 && skipSpace(text, start + 1) === end - 1) return out;
  for (let i = 0; i < itemCount; i++) {
    const s = skipSpace(text, itemStart(i)), e = itemEnd(i);
    const colon = memberColon(text, s, e);
    const key = JSON.parse(text.slice(s, colon));
    if (typeof key !== "string") throw new NotSplittable();
    // defineProperty: a "__proto__" member is an own property, as JSON.parse makes it
    Object.defineProperty(out, key, {
      value: await parseSpan(text, colon + 1, e, ctx),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * The positions of the commas between `from` and `to` at depth 0 (outside strings, arrays and
 * objects), pausing every `piece` characters scanned.
 */
async function topLevelCommas(
  text: string,
  from: number,
  to: number,
  ctx: Ctx,
): Promise<number[]> {
  const out: number[] = [];
  let depth = 0;
  let nextPause = from + ctx.piece;
  for (let i = from; i < to; i++) {
    if (i >= nextPause) {
      await ctx.slicer.pause();
      nextPause = i + ctx.piece;
    }
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i, to);
    else if (c === COMMA) {
      if (depth === 0) out.push(i);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (--depth < 0) throw new NotSplittable();
    }
  }
  if (depth !== 0) throw new NotSplittable();
  return out;
}

/** Index of the quote closing the string opening at `open`. */
function stringEnd(text: string, open: number, to: number): number {
  let i = open;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0 || i >= to) throw new NotSplittable();
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return i;
  }
}

/** Index of the colon after an object member's key string starting at `s`. */
function memberColon(text: string, s: number, e: number): number {
  if (text.charCodeAt(s) !== QUOTE) throw new NotSplittable();
  const colon = skipSpace(text, stringEnd(text, s, e) + 1);
  if (text.charCodeAt(colon) !== COLON) throw new NotSplittable();
  return colon;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function trimEnd(text: string, end: number): number {
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
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
