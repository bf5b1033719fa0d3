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

export function assertFiniteInt(v: number, what: string): void {
  if (!Number.isInteger(v)) throw new Error(`run store: ${what}: expected an integer, got ${v}`);
}
