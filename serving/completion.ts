/**
 * What a completion server sends back and how a search-agent turn is read from it: OpenAI-compatible
 * servers stop BEFORE a stop sequence and leave it out of the text, while the protocol keeps the
 * stop tag in the turn ({@link turnText}); the chat messages and sampling options of a request;
 * the minimal chat interface other packages depend on structurally ({@link ChatClient}).
 *
 * @module
 */
import { restoreStopTag } from "@creditlab/agent";

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Sampling options of one request. */
export interface SamplingOptions {
  /** Sampling temperature; 0 = greedy. */
  temperature: number;
  /** Maximum number of generated tokens. */
  maxTokens: number;
  /** Stop sequences (the server stops before them). */
  stop?: readonly string[];
  /** Nucleus sampling mass (omitted from the request when undefined). */
  topP?: number;
  /** Sampling seed (omitted when undefined). */
  seed?: number;
}

/**
 * The minimal chat interface other packages depend on structurally (the LLM verifier of
 * CAPF, the CW-GRPO judge).
 */
export interface ChatClient {
  complete(messages: ChatMessage[], opts: SamplingOptions): Promise<string>;
}

/** One generation result. */
export interface Completion {
  /** The text as the server sent it (without the stop sequence). */
  text: string;
  /** The server's `finish_reason` (`"stop"`, `"length"`, ...), or null when absent. */
  finishReason: string | null;
  /**
   * The server's `stop_reason` (vLLM and our `serve`): the stop string that ended the
   * generation, a stop token id, or null (end-of-sequence token, or not stopped); undefined
   * when the server does not report it (OpenAI, llama.cpp, Ollama).
   */
  stopReason: string | number | null | undefined;
}

/**
 * The text of a turn with its stop sequence put back (the protocol keeps the stop tag in
 * the turn; servers leave it out):
 * - `finish_reason` not "stop": the text unchanged;
 * - `stop_reason` a string listed in `stop`: the text followed by exactly that string;
 * - `stop_reason` null or a number (the model's end-of-sequence / a stop token): unchanged;
 * - `stop_reason` not reported: {@link restoreStopTag} (appends the closing tag of the last
 *   unclosed `<search>`/`<answer>`/`<feedback>` when it is a stop sequence).
 *
 * @example
 * ```ts
 * import { STOP_TAGS } from "@creditlab/agent";
 * turnText({ text: "<search> q", finishReason: "stop", stopReason: "</search>" }, STOP_TAGS); // "<search> q</search>"
 * turnText({ text: "<search> q", finishReason: "stop", stopReason: null }, STOP_TAGS); // "<search> q" (EOS)
 * ```
 */
export function turnText(c: Completion, stop: readonly string[]): string {
  if (c.finishReason !== "stop") return c.text;
  if (typeof c.stopReason === "string") {
    return stop.includes(c.stopReason) ? c.text + c.stopReason : c.text;
  }
  if (c.stopReason === undefined) return restoreStopTag(c.text, stop);
  return c.text;
}

/** Whether a completion ended on the model's end-of-sequence token (as far as the server says). */
export function endedOnEos(c: Completion): boolean {
  return c.finishReason === "stop" && c.stopReason === null;
}
