/**
 * The round judge of `--judge URL [--judge-model NAME]` (`credit`, `serve-credit`).
 * @module
 */
import { LlmRoundJudge } from "@creditlab/methods";

/**
 * The round judge answered by the OpenAI-compatible endpoint at `url` (with `model`, when
 * given); undefined without a URL. The endpoint client is loaded only when a URL is given.
 */
export async function endpointJudge(
  url: string | undefined,
  model: string | undefined,
): Promise<LlmRoundJudge | undefined> {
  if (!url) return undefined;
  const { EndpointPolicy } = await import("@creditlab/serving");
  return new LlmRoundJudge(new EndpointPolicy({ baseUrl: url, ...(model ? { model } : {}) }));
}
