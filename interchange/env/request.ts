/**
 * Reading the JSON bodies of the environment service (server.ts): the error type every route
 * answers with ({@link EnvRequestError}: status, message, the field at fault), the batch shape
 * (`{"items": [...]}` or one item alone, {@link requestItems}) and strict field checks
 * ({@link FieldReader}: unknown fields are refused, so a misspelt input is never dropped).
 *
 * @module
 */
import { isJsonObject, type JsonObject } from "@creditlab/core";

/** A refused request: the HTTP status, the message and the field at fault (`items[2].draft`). */
export class EnvRequestError extends Error {
  /** HTTP status (400 bad field, 404/405 routing, 413 body size, 422 over a limit, 501, 502). */
  readonly status: number;
  /** The field at fault, when one is. */
  readonly field: string | undefined;

  constructor(status: number, message: string, opts: { field?: string } = {}) {
    super(message);
    this.name = "EnvRequestError";
    this.status = status;
    this.field = opts.field;
  }
}

/** The JSON type of `v`, for messages. */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Parse a body's text as JSON; 400 naming `body` when it is not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseJsonBody('{"a": 1}'), { a: 1 });
 * assert.throws(() => parseJsonBody("{"), /body is not valid JSON/);
 * ```
 */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EnvRequestError(400, `body is not valid JSON (${(e as Error).message})`, {
      field: "body",
    });
  }
}

/** Checked access to the fields of one JSON object (see {@link FieldReader.of}). */
export class FieldReader {
  readonly #obj: JsonObject;
  readonly #at: string;

  private constructor(obj: JsonObject, at: string) {
    this.#obj = obj;
    this.#at = at;
  }

  /**
   * A reader of `value`, which must be an object with only `allowed` fields; `at` is its place
   * in the body ("" for the body itself, `items[2]`, `items[0].rounds[1]`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const r = FieldReader.of({ draft: "Sochi" }, { at: "items[0]", allowed: ["draft"] });
   * assert.equal(r.string("draft"), "Sochi");
   * assert.throws(() => r.string("detail"), /items\[0\]\.detail: expected a string/);
   * ```
   */
  static of(value: unknown, opts: { at: string; allowed: readonly string[] }): FieldReader {
    const where = opts.at === "" ? "body" : opts.at;
    if (!isJsonObject(value)) {
      throw new EnvRequestError(400, `${where}: expected an object, got ${typeName(value)}`, {
        field: where,
      });
    }
    for (const k of Object.keys(value)) {
      if (!opts.allowed.includes(k)) {
        const field = opts.at === "" ? k : `${opts.at}.${k}`;
        throw new EnvRequestError(
          400,
          `${field}: unknown field (fields here: ${opts.allowed.join(", ")})`,
          { field },
        );
      }
    }
    return new FieldReader(value, opts.at);
  }

  /** Where the object is in the body (`items[2]`, or `body` for a single-item body). */
  get where(): string {
    return this.#at === "" ? "body" : this.#at;
  }

  /** The path of field `name` (`items[1].draft`, or `draft` for a single-item body). */
  path(name: string): string {
    return this.#at === "" ? name : `${this.#at}.${name}`;
  }

  /** Whether field `name` is present and not null. */
  has(name: string): boolean {
    return this.#obj[name] !== undefined && this.#obj[name] !== null;
  }

  /** The raw value of a field (absent and null both give undefined). */
  raw(name: string): unknown {
    const v = this.#obj[name];
    return v === null ? undefined : v;
  }

  /** A 400 naming field `name`. */
  fail(name: string, problem: string): EnvRequestError {
    const field = this.path(name);
    return new EnvRequestError(400, `${field}: ${problem}`, { field });
  }

  /** A required string field. */
  string(name: string): string {
    const v = this.raw(name);
    if (typeof v !== "string") {
      throw this.fail(name, `expected a string, got ${v === undefined ? "nothing" : typeName(v)}`);
    }
    return v;
  }

  /** An optional string field. */
  optionalString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }

  /** An optional field whose value must be one of `values`. */
  optionalOneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.optionalString(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      throw this.fail(name, `expected one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  /** An optional list of strings (a single string counts as a list of one when `single`). */
  optionalStrings(name: string, opts: { single?: boolean; nonEmpty?: boolean } = {}):
    | string[]
    | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v === "string" && opts.single) return [v];
    if (!Array.isArray(v)) {
      throw this.fail(
        name,
        `expected a list of strings${opts.single ? " (or one string)" : ""}, got ${typeName(v)}`,
      );
    }
    v.forEach((x, i) => {
      if (typeof x !== "string") {
        throw this.fail(`${name}[${i}]`, `expected a string, got ${typeName(x)}`);
      }
    });
    if (opts.nonEmpty && v.length === 0) throw this.fail(name, "expected at least one string");
    return v as string[];
  }

  /** A required non-empty array (its elements unchecked). */
  array(name: string, opts: { max: number; limitFlag: string }): unknown[] {
    const v = this.raw(name);
    if (!Array.isArray(v)) {
      throw this.fail(name, `expected a list, got ${v === undefined ? "nothing" : typeName(v)}`);
    }
    if (v.length > opts.max) {
      const field = this.path(name);
      throw new EnvRequestError(
        422,
        `${field}: ${v.length} entries, at most ${opts.max} (${opts.limitFlag})`,
        { field },
      );
    }
    return v;
  }
}

/** The items of a request body, each with its place in the body. */
export interface RequestItems {
  /** Each item's value and place (`items[i]`, or "" when the body is one item). */
  items: { value: unknown; at: string }[];
  /** Whether the body was `{"items": [...]}` (answered `{"results": [...]}`). */
  batched: boolean;
}

/**
 * The items of a body: `{"items": [item, ...]}` (a batch, at most `maxItems`; 422 over it) or
 * one item object alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { items, batched } = requestItems({ items: [{ draft: "a" }, { draft: "b" }] }, { maxItems: 8 });
 * assert.deepEqual(items.map((i) => i.at), ["items[0]", "items[1]"]);
 * assert.equal(batched, true);
 * assert.equal(requestItems({ draft: "a" }, { maxItems: 8 }).batched, false);
 * ```
 */
export function requestItems(body: unknown, opts: { maxItems: number }): RequestItems {
  if (!isJsonObject(body)) {
    throw new EnvRequestError(
      400,
      `body: expected an object (one item, or {"items": [...]}), got ${typeName(body)}`,
      { field: "body" },
    );
  }
  if (!Object.hasOwn(body, "items")) return { items: [{ value: body, at: "" }], batched: false };
  const list = FieldReader.of(body, { at: "", allowed: ["items"] }).array("items", {
    max: opts.maxItems,
    limitFlag: "--max-items",
  });
  if (list.length === 0) {
    throw new EnvRequestError(400, "items: expected at least one item", { field: "items" });
  }
  return { items: list.map((value, i) => ({ value, at: `items[${i}]` })), batched: true };
}
