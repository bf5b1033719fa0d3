/**
 * The parameters of an OpenAI-compatible request, read and checked: a request the client got
 * wrong is a {@link BadRequest} (HTTP 400), answered as an OpenAI-style error body
 * ({@link apiError}).
 *
 * @module
 */

/** A request the client got wrong (answered with HTTP 400). */
export class BadRequest extends Error {
  constructor(message: string, readonly param: string | null = null) {
    super(message);
  }
}

export function apiError(
  status: number,
  message: string,
  param: string | null,
  type = "invalid_request_error",
): Response {
  return Response.json({ error: { message, type, param, code: null } }, { status });
}

export function intParam(v: unknown, name: string, dflt: number, min: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new BadRequest(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`, name);
  }
  return v;
}

export function numParam(v: unknown, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new BadRequest(
      `${name} must be a number in [${
        min === Number.MIN_VALUE ? "0 (exclusive)" : min
      }, ${max}], got ${JSON.stringify(v)}`,
      name,
    );
  }
  return v;
}

export function stopParam(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  throw new BadRequest(
    `stop must be a string or an array of strings, got ${JSON.stringify(v)}`,
    "stop",
  );
}

export function promptParam(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string")) {
    return v as string[];
  }
  throw new BadRequest(
    `prompt must be a string or a non-empty array of strings (token-id prompts are not supported), got ${
      JSON.stringify(v)?.slice(0, 100)
    }`,
    "prompt",
  );
}

export function messagesParam(v: unknown): string {
  if (!Array.isArray(v) || v.length === 0) {
    throw new BadRequest("messages must be a non-empty array of {role, content}", "messages");
  }
  return v.map((m, i) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof content !== "string") {
      throw new BadRequest(
        `messages[${i}].content must be a string, got ${JSON.stringify(content)}`,
        "messages",
      );
    }
    return content;
  }).join("\n");
}
