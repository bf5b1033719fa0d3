/**
 * `deno task serve-credit [--port 8091] [--max-body-bytes N] [--judge URL] [--retriever URL]`:
 * the credit service on 127.0.0.1 (interchange/credit_server.ts): `POST /credit` with a batch
 * of interchange records answers each trajectory's advantages, exactly as `deno task credit`
 * and our trainer compute them; `GET /health`. Bounded and time-sliced like the other servers
 * (see credit_server.ts).
 *
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringOptions } from "@creditlab/core/cli";
import { getMethod, methodNames } from "@creditlab/train";
import { DEFAULT_MAX_BODY_BYTES, serveCredit } from "@creditlab/interchange";
import { RetrieverClient } from "@creditlab/datasets";
import { endpointJudge } from "./endpoint_judge.ts";
import { methodsAsking } from "./credit.ts";
import { judgedRounds } from "../methods/round_judge.ts";

/** The verb's usage text. */
export const SERVE_CREDIT_USAGE =
  `usage: deno task serve-credit [--port 8091] [--max-body-bytes ${DEFAULT_MAX_BODY_BYTES}]
       [--judge URL] [--judge-model NAME] [--retriever URL]

Serves credit assignment on http://127.0.0.1:PORT (this host only):
  GET  /health   status, format version, registered methods
  POST /credit   {"method": NAME, "config"?: {...}, "records": [...]} (application/json)
                 -> {"metrics": {...}, "outputs": [{trajectory_id, uid, reward, advantages,
                    loss_weights, method_record}, ...]}
Bodies over --max-body-bytes get 413; a bad record, method or config gets 400 naming the field;
a request head must arrive within 10 s and its body within 30 s (else 408). Large batches are
credited in time slices, so /health and small batches are answered meanwhile.
--judge URL: an OpenAI-compatible endpoint answering the round judge (${
    methodsAsking("round-judge").join(", ")
  }) for records without extras.judge_scores.
--retriever URL: the search tool the rollouts used, a Search-R1 /retrieve server (a running
deno task serve-retriever over their corpus), for methods whose credit searches (e.g. for gold
passages, by the ground_truth.chain queries).`;

/** Entry point: serves until interrupted. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(SERVE_CREDIT_USAGE, {
    args,
    options: {
      port: { type: "string", default: "8091" },
      "max-body-bytes": { type: "string", default: String(DEFAULT_MAX_BODY_BYTES) },
      ...stringOptions("judge", "judge-model", "retriever"),
      help: HELP_OPTION,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`serve-credit: --port: expected an integer in 0..65535, got ${values.port}`);
  }
  const maxBodyBytes = Number(values["max-body-bytes"]);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new Error(
      `serve-credit: --max-body-bytes: expected a positive integer, got ${
        values["max-body-bytes"]
      }`,
    );
  }
  const judge = await endpointJudge(values.judge, values["judge-model"]);
  const search = values.retriever ? new RetrieverClient(values.retriever) : undefined;
  const { server } = serveCredit({
    method: getMethod,
    methodNames,
    judgedRounds,
    maxBodyBytes,
    port,
    ...(judge ? { judge } : {}),
    ...(search ? { search } : {}),
    onListen: (url) => console.error(`serve-credit: listening on ${url}`),
  });
  await server.finished;
  return 0;
}
