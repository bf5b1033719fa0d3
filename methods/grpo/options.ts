/**
 * A method's own config fields, each declared once: one entry of a field table holds the
 * field's doc, its allowed values (or bounds) and its default. The config's type
 * ({@link FieldValues}), its defaults and its validation ({@link grpoExtension}) derive from the
 * table, so a field is not listed again in an interface, a defaults object and a validator, and
 * an option's values are not written again in its type and its check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { GrpoConfig } from "./config.ts";
 * const DEMO_FIELDS = {
 *   mode: oneOf(["a", "b"], "a"),
 *   alpha: finite({ min: 0, below: 1 }, 0.3),
 *   keep: flag(true),
 * };
 * interface DemoConfig extends GrpoConfig, FieldValues<typeof DEMO_FIELDS> {}
 * const demo = grpoExtension<DemoConfig>("demo config", DEMO_FIELDS);
 * assert.equal(demo.defaults.mode, "a");
 * assert.equal(demo.defaults.clipLow, 0.2); // the GRPO fields come first
 * assert.throws(
 *   () => demo.validate({ ...demo.defaults, alpha: 1 }),
 *   /demo config: field "alpha" must be in \[0, 1\), got 1/,
 * );
 * ```
 * @module
 */
import {
  type Bounds,
  type ConfigChecks,
  GRPO_DEFAULTS,
  type GrpoConfig,
  grpoConfigChecks,
} from "./config.ts";
import type { ConfigSpec } from "./family.ts";

/** What a field's check is given besides the value. */
export interface FieldContext {
  /** The config's checks (their messages start with the config's name). */
  check: ConfigChecks;
  /** The field's name in the config, for the messages. */
  name: string;
  /** The whole config, for a check across fields (its GRPO fields are already checked). */
  config: GrpoConfig;
}

/** One field of a method's config: its default and its check. */
export interface Field<T> {
  /** The default (frozen, with every object inside it). */
  readonly default: T;
  /** Throw, through `ctx.check`, a RangeError naming the field when `value` is not allowed. */
  check(value: T, ctx: FieldContext): void;
}

/** A method's field table: its config's own fields by name, in the order they are checked. */
export type FieldTable = Readonly<Record<string, Field<unknown>>>;

/**
 * The config fields a table declares: each name with its value's type. The mapping keeps each
 * entry's doc, so an editor shows a config field's doc from its table entry.
 */
export type FieldValues<S extends FieldTable> = {
  -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

/** `value` frozen, with every object inside it. */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A field of custom type: its default and its own check (for objects and unions of objects).
 * Write nested fields' names as `${name}.<key>`.
 */
export function field<T>(defaultValue: T, check: (value: T, ctx: FieldContext) => void): Field<T> {
  return { default: frozen(defaultValue), check };
}

/** One of `options` (the field's type is their union); expected `"a" | "b"`. */
export function oneOf<const O extends readonly string[]>(
  options: O,
  defaultValue: NoInfer<O[number]>,
): Field<O[number]> {
  return field(defaultValue, (value, { check, name }) => check.oneOf(name, value, options));
}

/**
 * A finite number within `rule`'s bounds (`min`/`max` inclusive, `above`/`below` exclusive);
 * `rule.why`, when given, follows the expected range in the message.
 */
export function finite(rule: Bounds & { why?: string }, defaultValue: number): Field<number> {
  const { why, ...bounds } = rule;
  return field(defaultValue, (value, { check, name }) => check.number(name, value, bounds, why));
}

/** A boolean; expected "a boolean". */
export function flag(defaultValue: boolean): Field<boolean> {
  return field(defaultValue, (value, { check, name }) => {
    if (typeof value !== "boolean") check.fail(name, "a boolean", value);
  });
}

/** The checks of a union's kinds: one per kind (null: nothing to check beyond the kind). */
export type KindChecks<T extends { kind: string }> = {
  [K in T["kind"]]: ((value: Extract<T, { kind: K }>, ctx: FieldContext) => void) | null;
};

/** Options of {@link variant}. */
export interface VariantOptions<T extends { kind: string }> {
  /** What the message says is expected when the value is none of the kinds. */
  expected: string;
  /** Every kind of the union with its check (the type requires each kind, and only those). */
  kinds: KindChecks<T>;
}

/**
 * A field whose value is a union of objects told apart by `kind`: a value of a listed kind is
 * checked by that kind's check; anything else fails with `opts.expected`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configChecks, GRPO_DEFAULTS } from "./config.ts";
 * type Weighting = { kind: "uniform" } | { kind: "softmax"; gamma: number };
 * const weighting = variant<Weighting>({ kind: "uniform" }, {
 *   expected: '{ kind: "uniform" } | { kind: "softmax", gamma }',
 *   kinds: {
 *     uniform: null,
 *     softmax: (w, { check, name }) => check.number(`${name}.gamma`, w.gamma, { above: 0 }),
 *   },
 * });
 * const ctx = { check: configChecks("demo config"), name: "weighting", config: GRPO_DEFAULTS };
 * weighting.check({ kind: "softmax", gamma: 2 }, ctx); // passes
 * assert.throws(
 *   () => weighting.check({ kind: "max" } as unknown as Weighting, ctx),
 *   /field "weighting" must be \{ kind: "uniform" \} \| \{ kind: "softmax", gamma \}/,
 * );
 * ```
 */
export function variant<T extends { kind: string }>(
  defaultValue: T,
  opts: VariantOptions<T>,
): Field<T> {
  return field(defaultValue, (value, ctx) => {
    const kind = (value as { kind?: unknown } | null | undefined)?.kind;
    if (typeof kind !== "string" || !Object.hasOwn(opts.kinds, kind)) {
      return ctx.check.fail(ctx.name, opts.expected, value);
    }
    const checkKind = opts.kinds[kind as T["kind"]] as ((v: T, c: FieldContext) => void) | null;
    checkKind?.(value, ctx);
  });
}

/** Options of {@link grpoExtension}. */
export interface GrpoExtensionOptions {
  /** GRPO fields whose default the method changes (they keep their place in the defaults). */
  grpo?: Partial<GrpoConfig>;
}

/**
 * The table of a config's own fields: one {@link Field} per field of `C` that is not a GRPO
 * field, and no other.
 */
export type FieldTableOf<C extends GrpoConfig> = {
  readonly [K in Exclude<keyof C, keyof GrpoConfig>]: Field<C[K]>;
};

/**
 * The config `C` of a method that extends GRPO by the fields of `table`; `where` starts every
 * validation message (e.g. "capf config"). Its defaults are {@link GRPO_DEFAULTS} (with
 * `opts.grpo`), then each field's default in table order, frozen. Its check validates the GRPO
 * fields, then each field in table order, and throws a RangeError naming the first field that
 * is not allowed.
 */
export function grpoExtension<C extends GrpoConfig>(
  where: string,
  table: FieldTableOf<C>,
  opts: GrpoExtensionOptions = {},
): ConfigSpec<C> {
  const fields = Object.entries(table) as [string, Field<unknown>][];
  const own = Object.fromEntries(fields.map(([name, f]) => [name, f.default]));
  const defaults = Object.freeze({ ...GRPO_DEFAULTS, ...opts.grpo, ...own }) as C;
  return {
    defaults,
    validate: (config) => {
      const check = grpoConfigChecks(config, where);
      const values = config as unknown as Readonly<Record<string, unknown>>;
      for (const [name, f] of fields) f.check(values[name], { check, name, config });
    },
  };
}
