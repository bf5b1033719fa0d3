/**
 * The error every safetensors check throws: `safetensors <path>: <what>`, naming the file.
 * @module
 */

/** Throw `safetensors <path>: <what>`. */
export function fail(path: string, what: string): never {
  throw new Error(`safetensors ${path}: ${what}`);
}
