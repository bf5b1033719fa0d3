/**
 * Where the runs of an experiment keep their records and files.
 *
 * @module
 */
import type { BackendInfo } from "@creditlab/kernels";
import type { RunStore } from "@creditlab/runstore";

/** Where runs keep their files. */
export interface RunContext {
  store: RunStore;
  /** Results folder (checkpoints go under `<out>/checkpoints`). */
  out: string;
  backend: BackendInfo;
  commit: string;
  log: (line: string) => void;
}

/** Whether a file or folder exists. */
export async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}
