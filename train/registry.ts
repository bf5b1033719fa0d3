/**
 * The method registry: methods are registered by name; registering a name twice throws.
 * @module
 */
import type { MethodRecord } from "@creditlab/core";
import type { Method } from "./method.ts";

const registry = new Map<string, Method<unknown>>();

/**
 * Register a method under its name. Throws if the name is taken, or is not a usable metric
 * prefix (lower-case letters, digits and dashes: its metrics are `<name>/<metric>`).
 */
export function registerMethod<C, R extends MethodRecord = MethodRecord>(
  method: Method<C, R>,
): Method<C, R> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(method.name)) {
    throw new Error(
      `registerMethod: method name ${
        JSON.stringify(method.name)
      } must be lower-case letters, digits and dashes (it prefixes the method's metric names)`,
    );
  }
  if (registry.has(method.name)) {
    throw new Error(`registerMethod: a method named "${method.name}" is already registered`);
  }
  registry.set(method.name, method as unknown as Method<unknown>);
  return method;
}

/** Look up a registered method; the error lists the known names. */
export function getMethod(name: string): Method<unknown> {
  const m = registry.get(name);
  if (!m) {
    throw new Error(
      `unknown method "${name}"; registered: ${[...registry.keys()].sort().join(", ") || "(none)"}`,
    );
  }
  return m;
}

/** Names of all registered methods, sorted. */
export function methodNames(): string[] {
  return [...registry.keys()].sort();
}
