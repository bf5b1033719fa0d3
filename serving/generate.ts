/**
 * Local generation as the server does it: a checkpoint and its tokenizer loaded together
 * ({@link loadServedModel}), and a continuation of one prompt decoded token by token with the
 * model's KV cache ({@link generateLocal}; the stop rules are in server.ts's module doc).
 *
 * @module
 */
import { loadCheckpoint, type Rng, sampleToken, type Transformer } from "@creditlab/kernels";
import { WordTokenizer } from "@creditlab/agent";
import { TimeSlicer } from "@creditlab/datasets";
import { BadRequest } from "./request_params.ts";

/** Options of one local generation. */
export interface LocalGenerateOptions {
  maxTokens: number;
  temperature: number;
  topP: number;
  rng: Rng;
  stop: readonly string[];
  addBos: boolean;
  /**
   * Yields to the event loop between tokens once its slice is used up, and stops the
   * generation (rejecting with the signal's reason) when its signal is aborted. Default: a
   * slicer of 10 ms (2 ms while other requests move) without a signal.
   */
  slicer?: TimeSlicer;
}

/** One local generation. */
export interface LocalGeneration {
  text: string;
  finishReason: "stop" | "length";
  /**
   * vLLM's `stop_reason`: the stop sequence (as given in the request) that ended the
   * generation, or null (`<eos>`, `max_tokens` or the context limit).
   */
  stopReason: string | null;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Generate a continuation of `prompt` with a local model, as the server does (see the module
 * doc for the stop rules). Exported for the server and for tests. The prompt's length is
 * checked before any copy; `<pad>` is never sampled (its logit is set to -Infinity); between
 * tokens the generation yields to the event loop ({@link LocalGenerateOptions.slicer}).
 *
 * @example
 * ```ts
 * import { initBackend, Rng, Transformer } from "@creditlab/kernels";
 * import { WordTokenizer } from "@creditlab/agent";
 * await initBackend({ backend: "cpu" });
 * const tokenizer = WordTokenizer.build(["question : who ? tools : search answer bob"]);
 * const model = new Transformer({
 *   vocabSize: tokenizer.vocabSize,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   nKvHeads: 1,
 *   ffnHidden: 32,
 *   maxSeqLen: 64,
 *   ropeTheta: 10000,
 *   normEps: 1e-6,
 *   tiedEmbeddings: true,
 * }, { rng: new Rng(1) });
 * const g = await generateLocal(model, tokenizer, "question : who ?", {
 *   maxTokens: 16, temperature: 0, topP: 1, rng: new Rng(0), stop: ["</answer>"], addBos: true,
 * });
 * g.finishReason; // "stop" (at <eos> or "</answer>", left out of g.text) or "length"
 * model.dispose();
 * ```
 */
export async function generateLocal(
  model: Transformer,
  tokenizer: WordTokenizer,
  prompt: string,
  opts: LocalGenerateOptions,
): Promise<LocalGeneration> {
  const encoded = tokenizer.encode(prompt);
  const bos = opts.addBos && encoded[0] !== tokenizer.bosId;
  const promptLen = encoded.length + (bos ? 1 : 0);
  const maxLen = model.config.maxSeqLen;
  if (promptLen === 0) throw new BadRequest("the prompt is empty and addBos is off", "prompt");
  if (promptLen > maxLen) {
    throw new BadRequest(
      `the prompt is ${promptLen} tokens, the model's maxSeqLen is ${maxLen}`,
      "prompt",
    );
  }
  let ids = encoded;
  if (bos) {
    ids = new Int32Array(promptLen);
    ids[0] = tokenizer.bosId;
    ids.set(encoded, 1);
  }
  const slicer = opts.slicer ?? new TimeSlicer();
  const padId = tokenizer.padId;
  // stop sequences as token ids; ones with unknown words can never be generated as text
  const stops = opts.stop.map((text) => ({ text, ids: tokenizer.encode(text) }))
    .filter((s) => s.ids.length > 0 && !s.ids.includes(tokenizer.unkId));
  const out: number[] = [];
  let sampled = 0;
  const decoder = model.decoder(1, { capacity: Math.min(maxLen, ids.length + opts.maxTokens) });
  try {
    await slicer.pause();
    let logits = decoder.feed([ids]);
    let finish: "stop" | "length" = "length";
    let stopReason: string | null = null;
    while (out.length < opts.maxTokens) {
      logits[padId] = Number.NEGATIVE_INFINITY; // padding is not text: never sampled
      const tok = sampleToken(logits, {
        temperature: opts.temperature,
        topP: opts.topP,
        rng: opts.rng,
      });
      sampled++;
      if (tok === tokenizer.eosId) {
        finish = "stop";
        break;
      }
      out.push(tok);
      const hit = stops.find((s) => endsWith(out, s.ids));
      if (hit !== undefined) {
        out.length -= hit.ids.length;
        finish = "stop";
        stopReason = hit.text;
        break;
      }
      if (out.length >= opts.maxTokens || ids.length + out.length >= maxLen) break;
      await slicer.pause();
      logits = decoder.feed([Int32Array.of(tok)]);
    }
    return {
      text: tokenizer.decode(out),
      finishReason: finish,
      stopReason,
      promptTokens: ids.length,
      completionTokens: sampled,
    };
  } finally {
    decoder.dispose();
  }
}

function endsWith(seq: readonly number[], tail: Int32Array): boolean {
  if (tail.length > seq.length) return false;
  const off = seq.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (seq[off + i] !== tail[i]) return false;
  return true;
}

/** Load a checkpoint and its tokenizer, checking that they match; `extra` is its metadata. */
export async function loadServedModel(
  path: string,
): Promise<{ model: Transformer; tokenizer: WordTokenizer; extra: Record<string, string> }> {
  const { model, extra } = await loadCheckpoint(path);
  try {
    const json = extra.tokenizer;
    if (json === undefined) {
      throw new Error(
        `checkpoint ${path}: no tokenizer in its metadata (expected extra.tokenizer = JSON of WordTokenizer.toJSON())`,
      );
    }
    let tokenizer: WordTokenizer;
    try {
      tokenizer = WordTokenizer.fromJSON(json);
    } catch (e) {
      throw new Error(`checkpoint ${path}: extra.tokenizer is invalid: ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize !== model.config.vocabSize) {
      throw new Error(
        `checkpoint ${path}: tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabSize is ${model.config.vocabSize}`,
      );
    }
    return { model, tokenizer, extra };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
