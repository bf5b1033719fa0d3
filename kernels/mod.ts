/**
 * @creditlab/kernels: the shared tensor package — backend choice, policy-gradient kernels,
 * the policy model, and seeded randomness.
 * @module
 */
export * from "./rng.ts";
export * from "./advantages.ts";
export * from "./backend.ts";
export * from "./wasm_kernels.ts";
export * from "./model.ts";
export * from "./sampling.ts";
export * from "./safetensors.ts";
export * from "./ops.ts";
export * from "./blas.ts";
export * from "./native_elementwise.ts";
