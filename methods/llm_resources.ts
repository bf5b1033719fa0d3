/**
 * The training-only resources of open-domain data, served by request through any
 * {@link ChatClient}: CAPF's privileged verifier ({@link LlmVerifier}, at the detail the method
 * asks for) and the round judge of CW-GRPO and PURE ({@link LlmRoundJudge}). Pass it as the `provide` of the
 * trainer's resources, beside the search tool.
 *
 * @module
 */
import { type ResourceProvider, resourceProvider } from "@creditlab/train";
import { LlmVerifier, type LlmVerifierOptions } from "./llm.ts";
import { LlmRoundJudge, type LlmRoundJudgeOptions } from "./llm_judge.ts";
import type { ChatClient } from "./llm.ts";

/**
 * A provider of LLM-backed training resources: each request builds its verifier or judge
 * (with its own reply cache) once, when the trainer grants a method's requests. Pass it as
 * `{ search, provide }`, the trainer's `resources`.
 *
 * @example
 * ```ts
 * import { EndpointPolicy } from "@creditlab/serving";
 * const provide = llmResourceProvider(new EndpointPolicy({ baseUrl: "http://127.0.0.1:8000" }));
 * const verifier = provide({ kind: "privileged-verifier", detail: "hint" }); // no call until used
 * ```
 */
export function llmResourceProvider(
  client: ChatClient,
  opts: { verifier?: Omit<LlmVerifierOptions, "detail">; judge?: LlmRoundJudgeOptions } = {},
): ResourceProvider {
  return resourceProvider("open-domain LLM resources", {
    "privileged-verifier": (r) => new LlmVerifier(client, { ...opts.verifier, detail: r.detail }),
    "round-judge": () => new LlmRoundJudge(client, opts.judge ?? {}),
  });
}
