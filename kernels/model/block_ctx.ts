/**
 * The per-call context of the transformer's attention blocks, shared by the full causal pass
 * ({@link Transformer.forward}) and the tensor KV-cache decoder ({@link TensorDecoder}).
 * @module
 */
import type { tf } from "../backend.ts";

/** Per-call context of the attention blocks. */
export interface BlockCtx {
  b: number;
  t: number;
  /** RoPE tables for queries (pre-scaled by 1/sqrt(hd)) and keys, broadcastable to [B,T,H,hd]. */
  cosQ: tf.Tensor;
  sinQ: tf.Tensor;
  cosK: tf.Tensor;
  sinK: tf.Tensor;
  /** Additive mask broadcastable to [B, nKv, g*T, S+T]. */
  mask: tf.Tensor;
}
