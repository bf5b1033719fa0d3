/**
 * The size and time limits of bounded HTTP serving (see http_guard.ts), their defaults, and
 * {@link resolveLimits}.
 * @module
 */

/** Limits of `serveGuarded()` (http_guard.ts) and `readBody()` (http_body.ts). */
export interface HttpLimits {
  /** Largest request body in bytes (default 4 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /** Time for the request head to arrive after the connection opens (ms, default 10000). */
  headerTimeoutMs?: number;
  /** Time for the whole body to arrive once the head has (ms, default 30000). */
  bodyTimeoutMs?: number;
}

/** Defaults of {@link HttpLimits}. */
export const DEFAULT_HTTP_LIMITS: Required<HttpLimits> = {
  maxBodyBytes: 4 * 1024 * 1024,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
};

/** Check {@link HttpLimits} and fill in the defaults; `who` names the caller in errors. */
export function resolveLimits(limits: HttpLimits, who: string): Required<HttpLimits> {
  const out = { ...DEFAULT_HTTP_LIMITS };
  for (const key of Object.keys(DEFAULT_HTTP_LIMITS) as (keyof HttpLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${who}: ${key} must be a positive integer, got ${v}`);
    }
    out[key] = v;
  }
  return out;
}
