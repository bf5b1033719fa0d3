import assert from "node:assert/strict";
import type { PrivilegedVerifier, RoundJudge } from "@creditlab/core";
import { grantResources, resourceProvider } from "./resources.ts";
import type { Method, ResourceRequest, TrainingResources } from "./method.ts";
import { inertMethod } from "./_test_utils.ts";

/** A verifier whose feedback text is its detail level. */
const verifier = (detail: string): PrivilegedVerifier => ({
  verify: () => Promise.resolve({ correct: false, kind: "wrong", text: detail }),
});
const judge: RoundJudge = {
  score: (_q, rs) => Promise.resolve(rs.map(() => ({ retrieval: 0, thinking: 0 }))),
};

function method(requests: ResourceRequest[]): Method<null> {
  return inertMethod("m", null, { resources: () => requests });
}

const Q = { id: "q", question: "?", goldenAnswers: ["a"], benchmark: "t", split: "train" };

Deno.test("resourceProvider: serves the kinds it has handlers for, refuses others clearly", async () => {
  const provide = resourceProvider("test world", {
    "privileged-verifier": (r) => verifier(r.detail),
  });
  const v = provide({ kind: "privileged-verifier", detail: "hint" });
  assert.equal((await v.verify(Q, "x")).text, "hint");
  assert.throws(
    () => provide({ kind: "round-judge" }),
    /test world cannot serve the resource request \{"kind":"round-judge"\}: no "round-judge" here \(it serves: privileged-verifier\)/,
  );
  assert.throws(
    () => provide({ kind: "teacher" } as unknown as ResourceRequest),
    /unknown kind "teacher"/,
  );
});

Deno.test("grantResources: serves what the method asks, once; nothing else", async () => {
  const asked: ResourceRequest[] = [];
  const env: TrainingResources = {
    search: { search: () => Promise.resolve([]) },
    provide: resourceProvider("test world", {
      "privileged-verifier": (r) => {
        asked.push(r);
        return verifier(r.detail);
      },
      "round-judge": (r) => {
        asked.push(r);
        return judge;
      },
    }),
  };
  const g = grantResources(
    method([{ kind: "privileged-verifier", detail: "correctness" }]),
    null,
    env,
  );
  assert.deepEqual(asked, [{ kind: "privileged-verifier", detail: "correctness" }]);
  assert.equal((await g.get("privileged-verifier").verify(Q, "x")).text, "correctness");
  assert.throws(
    () => g.get("round-judge"),
    /method m: no "round-judge" resource was granted; its resources\(config\) asked for privileged-verifier \(detail correctness\)/,
  );
  assert.equal(g.search, env.search);
  // A method that asks for nothing gets nothing built.
  asked.length = 0;
  grantResources(method([]), null, env);
  assert.deepEqual(asked, []);
  assert.throws(
    () => grantResources(method([{ kind: "round-judge" }, { kind: "round-judge" }]), null, env),
    /asks for "round-judge" twice/,
  );
  const noJudge: TrainingResources = { ...env, provide: resourceProvider("bare", {}) };
  assert.throws(
    () => grantResources(method([{ kind: "round-judge" }]), null, noJudge),
    /method m: bare cannot serve/,
  );
});
