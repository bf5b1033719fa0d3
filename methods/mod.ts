/**
 * @creditlab/methods: one self-contained module per paper (one folder each). Importing this
 * module registers every method exported below.
 *
 * Besides the `Method` values (each with its config, defaults and record type), it exports
 * the GRPO-family helper the methods are built with, and what an open-domain environment
 * needs to serve the training-only resources methods ask for: the LLM verifier (CAPF), the LLM
 * round judge (judge-based methods) and a provider that serves both by request.
 * @module
 */
export {
  checkOutcome,
  grpo,
  GRPO_DEFAULTS,
  GRPO_PAPERS,
  grpoFamily,
  grpoVariant,
  outcomeRewards,
} from "./grpo/mod.ts";
export type {
  ConfigSpec,
  GrpoConfig,
  GrpoFamilyParts,
  GrpoVariant,
  MethodCard,
  PaperClaim,
  PaperRecord,
} from "./grpo/mod.ts";
export { BASELINE } from "./baseline.ts";
export { capf, CAPF_DEFAULTS, CAPF_PAPER, capfVerifierDetail } from "./capf/mod.ts";
export type { CapfConfig, CapfRecord } from "./capf/mod.ts";
export { CW_GRPO_DEFAULTS, CW_GRPO_PAPER, cwGrpo } from "./cw-grpo/mod.ts";
export type { CwGrpoConfig, CwGrpoRecord } from "./cw-grpo/mod.ts";
export { E_GRPO_DEFAULTS, E_GRPO_PAPER, eGrpo } from "./e-grpo/mod.ts";
export type { EGrpoConfig, EGrpoRecord } from "./e-grpo/mod.ts";
export { pure, PURE_DEFAULTS, PURE_PAPER, type PureConfig, type PureRecord } from "./pure/mod.ts";
export {
  gigpo,
  GIGPO_DEFAULTS,
  GIGPO_PAPER,
  type GigpoConfig,
  type GigpoRecord,
} from "./gigpo/mod.ts";
export {
  matchtir,
  MATCHTIR_DEFAULTS,
  MATCHTIR_PAPER,
  type MatchtirConfig,
  type MatchtirRecord,
  SINKHORN_DEFAULTS,
} from "./matchtir/mod.ts";
export { MT_GRPO_DEFAULTS, MT_GRPO_PAPER, mtGrpo } from "./mt-grpo/mod.ts";
export type { MtGrpoConfig, MtGrpoRecord } from "./mt-grpo/mod.ts";
export { stepsearch, STEPSEARCH_DEFAULTS, STEPSEARCH_PAPER } from "./stepsearch/mod.ts";
export type { StepSearchConfig, StepSearchRecord } from "./stepsearch/mod.ts";
export { pbsd, PBSD_DEFAULTS, PBSD_PAPER, type PbsdConfig, type PbsdRecord } from "./pbsd/mod.ts";
export { igpo, IGPO_DEFAULTS, IGPO_PAPER, type IgpoConfig, type IgpoRecord } from "./igpo/mod.ts";
export {
  a2tgpo,
  A2TGPO_DEFAULTS,
  A2TGPO_PAPER,
  type A2tgpoConfig,
  type A2tgpoRecord,
} from "./a2tgpo/mod.ts";
export {
  TREE_GRPO_DEFAULTS,
  TREE_GRPO_PAPER,
  treeGrpo,
  type TreeGrpoConfig,
  type TreeGrpoRecord,
} from "./tree-grpo/mod.ts";
export { LlmVerifier } from "./llm.ts";
export { LlmRoundJudge } from "./llm_judge.ts";
export type { ChatClient, ChatMessage, ChatOptions, FeedbackDetail } from "./llm.ts";
export { llmResourceProvider } from "./llm_resources.ts";
