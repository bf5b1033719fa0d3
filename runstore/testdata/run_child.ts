/**
 * A process that records a run in a store and then waits, for the lifecycle tests:
 * `run_child.ts <store path> track|bare`. `track` runs the wait under `RunStore.track` (so
 * SIGINT/SIGTERM are recorded), `bare` only starts the run. Prints `ready <run id>` once the
 * run is recorded.
 *
 * @module
 */
import { RunStore } from "../mod.ts";

const [path, mode] = Deno.args;
if (path === undefined || (mode !== "track" && mode !== "bare")) {
  console.error("usage: run_child.ts <store path> track|bare");
  Deno.exit(2);
}
const store = await RunStore.open(path);
const id = await store.startRun({
  method: "child",
  config: {},
  seed: 1,
  backend: "cpu",
  commit: "test",
  preset: "smoke",
});
// Waits on a timer, as a training loop waits on its store writes: a signal handler can run.
const forever = () =>
  new Promise<never>(() => {
    setInterval(() => {}, 20);
  });
if (mode === "track") {
  const working = store.track(id, forever);
  console.log(`ready ${id}`);
  await working;
} else {
  console.log(`ready ${id}`);
  await forever();
}
