/**
 * Small helpers of the run store's SQL: quoting, reading typed values out of result rows,
 * argument checks, the folder of a path.
 *
 * @module
 */

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error(`run store: ${what}: expected a number, got ${typeof v}`);
}

export function str(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  throw new Error(`run store: ${what}: expected a string, got ${typeof v}`);
}

export function parseJson(v: unknown): unknown {
  return typeof v === "string" ? JSON.parse(v) : v;
}

/**
 * Typed reads of the columns of one result row, each by its column name; a value of the wrong
 * type throws naming the column.
 */
export function columns(r: Record<string, unknown>) {
  return {
    str: (c: string): string => str(r[c], c),
    num: (c: string): number => num(r[c], c),
    /** SQL NULL reads as NaN. */
    numOrNaN: (c: string): number => (r[c] === null ? NaN : num(r[c], c)),
    numOrNull: (c: string): number | null => (r[c] === null ? null : num(r[c], c)),
    strOrNull: (c: string): string | null => (r[c] === null ? null : str(r[c], c)),
    json: (c: string): unknown => parseJson(r[c]),
  };
}

/** The column reader of one row ({@link columns}). */
export type Columns = ReturnType<typeof columns>;

export function assertFiniteInt(v: number, what: string): void {
  if (!Number.isInteger(v)) throw new Error(`run store: ${what}: expected an integer, got ${v}`);
}
