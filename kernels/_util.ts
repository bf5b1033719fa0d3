/**
 * Small helpers shared by the backend set-up modules (backend.ts, blas.ts's neighbours,
 * native_elementwise.ts, native/build.ts): one-line error reasons and environment lookups.
 * @module
 */

/** Reduce any thrown value (or a text) to its first non-empty line, at most 240 characters. */
export function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  const line = s.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "unknown error";
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

/** An environment variable; undefined when unset, blank, or not readable (no `--allow-env`). */
export function envVar(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v.trim() === "" ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * An on/off switch: `opt` when given, else the environment variable `name` ("0" or "1"), else
 * `fallback`. Any other value of the variable is an error naming it.
 */
export function envFlag(
  name: string,
  opts: { opt: boolean | undefined; fallback: boolean; who: string },
): boolean {
  if (opts.opt !== undefined) return opts.opt;
  const v = envVar(name);
  if (v === undefined) return opts.fallback;
  if (v === "0" || v === "1") return v === "1";
  throw new Error(`${opts.who}: ${name} must be 0 or 1, got ${JSON.stringify(v)}`);
}
