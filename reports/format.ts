/**
 * How the reports print numbers and text: EM points, percentages, table cells over seeds,
 * durations, HTML escapes. Pure functions, so the same numbers always print the same.
 *
 * @module
 */

import type { Cell } from "./experiment_data.ts";

function fmtPoints(x: number, signed: boolean): string {
  if (!Number.isFinite(x)) return "n/a";
  const r = Math.round(x * 10) / 10;
  if (r === 0) return "0.0";
  const s = r.toFixed(1);
  return signed && r > 0 ? `+${s}` : s;
}

/**
 * A number already in points, one decimal: signed ("+1.2", "-0.4") or not; "0.0" for anything
 * that rounds to 0 (never "-0.0"); "n/a" for NaN or ±∞.
 */
export function pointsText(x: number, opts: { signed: boolean }): string {
  return fmtPoints(x, opts.signed);
}

/**
 * A fraction as signed points with one decimal ("+1.2", "-0.4", "0.0"; "n/a" for NaN).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([signedPoints(0.0123), signedPoints(-0.0004), signedPoints(NaN)], ["+1.2", "0.0", "n/a"]);
 * ```
 */
export function signedPoints(x: number): string {
  return fmtPoints(x * 100, true);
}

/** A fraction as unsigned points with one decimal. */
export function points(x: number): string {
  return fmtPoints(x * 100, false);
}

/** A fraction as percent with one decimal (no % sign; non-finite values as themselves). */
export function pct(v: number): string {
  return Number.isFinite(v) ? (v * 100).toFixed(1) : String(v);
}

/** Text of a cell: "31.2 ± 2.3", "31.2 (1 seed)", "n/a (no eval)"; partial seeds are noted. */
export function cellText(c: Cell, opts: { signed?: boolean } = {}): string {
  if (c.kind === "missing") return `n/a (${c.text})`;
  const m = c.interval.mean;
  const sign = opts.signed && m > 0 ? "+" : "";
  let s = `${sign}${pct(m)}`;
  if (Number.isFinite(c.interval.halfWidth)) s += ` ± ${pct(c.interval.halfWidth)}`;
  else s += c.interval.n <= 1 ? " (1 seed, no interval)" : "";
  if (c.seedsWith < c.seeds) s += ` [${c.seedsWith}/${c.seeds} seeds]`;
  return s;
}

/** Escape text for HTML. */
export function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/**
 * A duration as "1h 02m 03s", "2m 03s" or "45s" ("n/a" for null).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([duration(3723), duration(123), duration(null)], ["1h 02m 03s", "2m 03s", "n/a"]);
 * ```
 */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "n/a";
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}
