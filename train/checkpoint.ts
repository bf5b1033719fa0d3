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
 * Restoring checks what it reads: `LATEST` must name a `step-XXXXXX` folder, `state.json` must
 * hold non-negative integer counters agreeing with that name and with the optimizer file's
 * `step`, both safetensors files must pass their checksums (when they have one) and hold only
 * finite values. Every error names the file and the field or tensor.
 *
 * @module
 */
import {
  assertFiniteTensors,
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

/** The folder name of the checkpoint after `step` finished steps. */
function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, "0")}`;
}

/**
 * Parse and check `state.json` (at `path`) of checkpoint `name`: `step`, `badSteps` and
 * `optimizerStep` non-negative integers, `badSteps <= step`, and `step` the one `name` says.
 */
export function parseTrainState(
  text: string,
  opts: { path: string; name: string },
): TrainState & { optimizerStep: number } {
  const { path, name } = opts;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`checkpoint ${path}: not JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new Error(`checkpoint ${path}: expected an object {step, badSteps, optimizerStep}`);
  }
  const o = v as Record<string, unknown>;
  const int = (k: string): number => {
    const x = o[k];
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
      throw new Error(
        `checkpoint ${path}: field "${k}": expected a non-negative integer, got ${
          JSON.stringify(x)
        }`,
      );
    }
    return x;
  };
  const step = int("step"), badSteps = int("badSteps"), optimizerStep = int("optimizerStep");
  if (badSteps > step) {
    throw new Error(
      `checkpoint ${path}: field "badSteps": ${badSteps} skipped steps of only ${step} steps`,
    );
  }
  if (checkpointName(step) !== name) {
    throw new Error(
      `checkpoint ${path}: field "step": ${step} does not match the folder ${name} (expected ${
        checkpointName(step)
      })`,
    );
  }
  return { step, badSteps, optimizerStep };
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
      if (!/^step-\d{6,}$/.test(name)) {
        throw new Error(
          `checkpoint ${p}: expected the name of a step-XXXXXX folder, got ${
            JSON.stringify(name.slice(0, 80))
          }`,
        );
      }
      if (!(await exists(join(dir, name, "state.json")))) {
        throw new Error(
          `checkpoint ${join(dir, name)}: LATEST points to a checkpoint without state.json`,
        );
      }
      return name;
    },
    async save(state, { model, optimizer }) {
      await Deno.mkdir(dir, { recursive: true });
      const name = checkpointName(state.step);
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
      const statePath = join(base, "state.json");
      const st = parseTrainState(await Deno.readTextFile(statePath), { path: statePath, name });
      const optPath = join(base, "optimizer.safetensors");
      const opt = await loadTensors(optPath);
      assertFiniteTensors(opt.tensors, optPath);
      const saved = opt.metadata["step"];
      if (saved !== undefined && saved !== String(st.optimizerStep)) {
        throw new Error(
          `checkpoint ${optPath}: __metadata__.step is ${
            JSON.stringify(saved)
          } but ${statePath} says optimizerStep ${st.optimizerStep}`,
        );
      }
      const loaded = await loadCheckpoint(join(base, "model.safetensors"));
      try {
        copyWeights(loaded.model, model);
      } finally {
        loaded.model.dispose();
      }
      optimizer.load({ step: st.optimizerStep, tensors: opt.tensors });
      return { step: st.step, badSteps: st.badSteps };
    },
  };
}
