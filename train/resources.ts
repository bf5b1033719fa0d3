/**
 * Training-only resources by request: an environment builds a {@link ResourceProvider} from one
 * handler per kind it can serve ({@link resourceProvider}); the trainer asks it for exactly
 * what a method's `resources(config)` requests ({@link grantResources}), once per run, so
 * nothing is built for a method that does not ask.
 *
 * @module
 */
import type {
  Method,
  MethodResources,
  RequestOf,
  ResourceKind,
  ResourceOf,
  ResourceProvider,
  ResourceRequest,
  TrainingResources,
} from "./method.ts";
import type { MethodRecord } from "@creditlab/core";

/** One handler per resource kind an environment serves. */
export type ResourceHandlers = {
  [K in ResourceKind]?: (request: RequestOf<K>) => ResourceOf[K];
};

/** A short text of a request, for messages: `privileged-verifier (detail hint)`. */
export function describeRequest(request: ResourceRequest): string {
  return request.kind === "privileged-verifier"
    ? `${request.kind} (detail ${request.detail})`
    : request.kind;
}

/**
 * Whether `method` under `config` asks for a training-only resource of `kind` (its
 * `resources(config)`; none when it declares no `resources`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = { resources: () => [{ kind: "round-judge" as const }] };
 * assert.equal(asksFor(m, null, "round-judge"), true);
 * assert.equal(asksFor(m, null, "policy-scorer"), false);
 * assert.equal(asksFor({}, null, "round-judge"), false);
 * ```
 */
export function asksFor<C>(
  method: Pick<Method<C>, "resources">,
  config: C,
  kind: ResourceKind,
): boolean {
  return (method.resources?.(config) ?? []).some((r) => r.kind === kind);
}

/**
 * A provider that serves the kinds `handlers` covers and throws a clear error, naming the
 * environment and what it does serve, for any other request. (The SearchWorld testbed's
 * serves `world.verifier({ detail })` and `world.roundJudge()`; experiments/testbed.ts.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const provide = resourceProvider("a test world", {
 *   "privileged-verifier": (r) => ({
 *     verify: () => Promise.resolve({ correct: false, kind: "wrong", text: `detail ${r.detail}` }),
 *   }),
 * });
 * const verifier = provide({ kind: "privileged-verifier", detail: "hint" });
 * assert.equal((await verifier.verify({} as never, "x")).text, "detail hint");
 * assert.throws(() => provide({ kind: "round-judge" }), /a test world cannot serve/);
 * ```
 */
export function resourceProvider(
  environment: string,
  handlers: ResourceHandlers,
): ResourceProvider {
  const serve = (request: ResourceRequest): ResourceOf[ResourceKind] => {
    const kind = (request as { kind?: unknown } | null)?.kind;
    const served = Object.keys(handlers).sort();
    const refuse = (why: string): never => {
      throw new Error(
        `${environment} cannot serve the resource request ${JSON.stringify(request)}: ${why} ` +
          `(it serves: ${served.join(", ") || "nothing"})`,
      );
    };
    switch (request.kind) {
      case "privileged-verifier": {
        const h = handlers["privileged-verifier"];
        return h ? h(request) : refuse(`no "${request.kind}" here`);
      }
      case "round-judge": {
        const h = handlers["round-judge"];
        return h ? h(request) : refuse(`no "${request.kind}" here`);
      }
      case "policy-scorer": {
        const h = handlers["policy-scorer"];
        return h ? h(request) : refuse(`no "${request.kind}" here`);
      }
      default:
        return refuse(`unknown kind ${JSON.stringify(kind)}`);
    }
  };
  return serve as ResourceProvider;
}

/**
 * Serve what `method` asks for under `config` from an environment's resources: each request
 * once, now. Throws when the method asks for one kind twice, or the environment cannot serve
 * a request (the provider's error, prefixed with the method's name).
 */
export function grantResources<C, R extends MethodRecord>(
  method: Method<C, R>,
  config: C,
  env: TrainingResources,
): MethodResources {
  const requests = method.resources?.(config) ?? [];
  const served = new Map<ResourceKind, ResourceOf[ResourceKind]>();
  for (const request of requests) {
    if (served.has(request.kind)) {
      throw new Error(
        `method ${method.name}: resources(config) asks for "${request.kind}" twice; ask once`,
      );
    }
    try {
      served.set(request.kind, env.provide(request));
    } catch (e) {
      throw new Error(`method ${method.name}: ${(e as Error).message}`);
    }
  }
  const asked = requests.map(describeRequest).join(", ") || "nothing";
  return {
    search: env.search,
    get<K extends ResourceKind>(kind: K): ResourceOf[K] {
      const r = served.get(kind);
      if (r === undefined) {
        throw new Error(
          `method ${method.name}: no "${kind}" resource was granted; its resources(config) asked for ${asked}`,
        );
      }
      return r as ResourceOf[K];
    },
  };
}
