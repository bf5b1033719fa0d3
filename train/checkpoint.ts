/**
 * Training checkpoints: weights (safetensors with the model config and tokenizer inside),
 * optimizer moments, and the step counter, written atomically.
 *
 * Layout of a checkpoint folder:
 *
 *     <dir>/step-000020/model.safetensors     weights + config + tokenizer (kernels/safetensors)
 *     <dir>/step-000020/optimizer.safetensors AdamW moments m.<i>, v.<i>
 *     <dir>/step-000020/state.json            { step, badSteps, optimizerStep }
 *     <dir>/LATEST                            "step-000020"
 *
 * A checkpoint is first written to `step-XXXXXX.tmp` and renamed into place, then `LATEST`
 * is replaced by rename, so a run killed at any moment leaves either the previous or the new
 * checkpoint, never half of one.
 *
 * @module
 */
import {
  loadCheckpoint,
  loadTensors,
  saveCheckpoint,
  saveTensors,
  type Transformer,
} from "@creditlab/kernels";
import { join } from "node:path";
import type { AdamW } from "./optim.ts";

/** What the trainer restores besides weights and optimizer. */
export interface TrainState {
  /** Number of finished steps (the next step to run). */
  step: number;
  /** Steps skipped for a non-finite loss so far. */
  badSteps: number;
}

/** Where a run keeps its checkpoints. */
export interface CheckpointStore {
  latest(): Promise<string | null>;
  save(state: TrainState, parts: { model: Transformer; optimizer: AdamW }): Promise<void>;
  restore(name: string, parts: { model: Transformer; optimizer: AdamW }): Promise<TrainState>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Copy the weights of `from` into the variables of `to` (same config). */
export function copyWeights(from: Transformer, to: Transformer): void {
  const a = from.variables(), b = to.variables();
  if (a.length !== b.length) {
    throw new Error(`copyWeights: ${a.length} variables into a model with ${b.length}`);
  }
  a.forEach((v, i) => {
    const dst = b[i]!;
    if (v.shape.join("x") !== dst.shape.join("x")) {
      throw new Error(
        `copyWeights: variable ${i} has shape ${v.shape} but the target has ${dst.shape}`,
      );
    }
    dst.assign(v);
  });
}

/** A checkpoint folder on disk. `extra` strings (e.g. the tokenizer) go into every file. */
export function dirCheckpoints(
  dir: string,
  opts: { extra: Record<string, string> },
): CheckpointStore {
  return {
    async latest() {
      const p = join(dir, "LATEST");
      if (!(await exists(p))) return null;
      const name = (await Deno.readTextFile(p)).trim();
      if (!(await exists(join(dir, name, "state.json")))) {
        throw new Error(
          `checkpoint ${join(dir, name)}: LATEST points to a checkpoint without state.json`,
        );
      }
      return name;
    },
    async save(state, { model, optimizer }) {
      await Deno.mkdir(dir, { recursive: true });
      const name = `step-${String(state.step).padStart(6, "0")}`;
      const tmp = join(dir, `${name}.tmp`);
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      await Deno.mkdir(tmp, { recursive: true });
      await saveCheckpoint(join(tmp, "model.safetensors"), model, { extra: opts.extra });
      const opt = optimizer.state();
      await saveTensors(join(tmp, "optimizer.safetensors"), opt.tensors, {
        metadata: { step: String(opt.step) },
      });
      await Deno.writeTextFile(
        join(tmp, "state.json"),
        JSON.stringify({ ...state, optimizerStep: opt.step }, null, 2),
      );
      const final = join(dir, name);
      await Deno.remove(final, { recursive: true }).catch(() => {});
      await Deno.rename(tmp, final);
      await Deno.writeTextFile(join(dir, "LATEST.tmp"), name);
      await Deno.rename(join(dir, "LATEST.tmp"), join(dir, "LATEST"));
    },
    async restore(name, { model, optimizer }) {
      const base = join(dir, name);
      const loaded = await loadCheckpoint(join(base, "model.safetensors"));
      try {
        copyWeights(loaded.model, model);
      } finally {
        loaded.model.dispose();
      }
      const st = JSON.parse(await Deno.readTextFile(join(base, "state.json"))) as TrainState & {
        optimizerStep: number;
      };
      const { tensors } = await loadTensors(join(base, "optimizer.safetensors"));
      optimizer.load({ step: st.optimizerStep, tensors });
      return { step: st.step, badSteps: st.badSteps };
    },
  };
}
