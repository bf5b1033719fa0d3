/**
 * Reading the reply of an OpenAI-compatible server: its first choice, finish and stop reasons,
 * and short descriptions of what was wrong for error messages; checks of the client's options.
 *
 * @module
 */

/** A reply that parsed as JSON but lacks the expected fields. */
export class MalformedReply extends Error {}

export function firstChoice(json: unknown): Record<string, unknown> {
  const choices = (json as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    throw new MalformedReply(`no choices (got ${snippet(JSON.stringify(json) ?? "")})`);
  }
  const c = choices[0] as unknown;
  if (c === null || typeof c !== "object") {
    throw new MalformedReply(`choices[0] is ${describe(c)}, expected an object`);
  }
  return c as Record<string, unknown>;
}

export function finishReason(choice: Record<string, unknown>): string | null {
  return typeof choice.finish_reason === "string" ? choice.finish_reason : null;
}

export function stopReason(choice: Record<string, unknown>): string | number | null | undefined {
  const r = choice.stop_reason;
  return typeof r === "string" || typeof r === "number" || r === null ? r : undefined;
}

export function describe(v: unknown): string {
  return v === undefined ? "missing" : JSON.stringify(v) ?? String(v);
}

export function snippet(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 200 ? `${one.slice(0, 200)}...` : one === "" ? "(empty body)" : one;
}

export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`EndpointPolicy: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

export function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`EndpointPolicy: ${name} must be a non-negative integer, got ${v}`);
  }
  return v;
}
