/**
 * TimeSlicer: long slices while no request moves, short ones for BUSY_WINDOW_MS after
 * noteActivity(), abort, option checks; and serveGuarded marking a request's steps as activity.
 * Slices are set to 0 or an hour, so no assertion depends on this machine's speed.
 */
import assert from "node:assert/strict";
import { BUSY_WINDOW_MS, noteActivity, sinceActivityMs, TimeSlicer } from "./time_slicer.ts";
import { serveGuarded } from "./http_guard.ts";

const HOUR = 3_600_000;

/** Whether `pause()` let a macrotask queued before it run (i.e. yielded to the event loop). */
async function yielded(slicer: TimeSlicer): Promise<boolean> {
  let ran = false;
  const t = setTimeout(() => ran = true, 0);
  await slicer.pause();
  clearTimeout(t);
  return ran;
}

const quiet = () => new Promise((r) => setTimeout(r, BUSY_WINDOW_MS + 5));

Deno.test("TimeSlicer: alone, the long slice; after noteActivity, the busy slice for the window", async () => {
  const slicer = new TimeSlicer({ sliceMs: HOUR, busySliceMs: 0 });
  await quiet();
  assert.ok(sinceActivityMs() >= BUSY_WINDOW_MS);
  assert.equal(await yielded(slicer), false, "no request moved: the hour-long slice goes on");
  noteActivity();
  assert.equal(await yielded(slicer), true, "a request moved: the busy slice (0 ms) is used up");
  await quiet();
  assert.equal(await yielded(slicer), false, "the window has passed");
  assert.equal(await yielded(new TimeSlicer({ sliceMs: 0 })), true, "a 0 ms slice always yields");
  assert.ok(slicer.longestSliceMs >= 0);
});

Deno.test("TimeSlicer: an aborted signal stops the work with its reason; bad options are refused", async () => {
  const ac = new AbortController();
  const slicer = new TimeSlicer({ signal: ac.signal });
  await slicer.pause();
  ac.abort(new Error("the server is shutting down"));
  await assert.rejects(slicer.pause(), /the server is shutting down/);
  assert.throws(() => new TimeSlicer({ sliceMs: -1 }), /sliceMs must be a finite number >= 0/);
  assert.throws(() => new TimeSlicer({ busySliceMs: NaN }), /busySliceMs must be a finite/);
});

Deno.test("serveGuarded: a request's steps count as activity, so long work slices finely meanwhile", async () => {
  const server = serveGuarded(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
  try {
    await quiet();
    const before = sinceActivityMs();
    assert.ok(before >= BUSY_WINDOW_MS);
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await res.text(), "ok");
    assert.ok(sinceActivityMs() < BUSY_WINDOW_MS, "the request was noted");
  } finally {
    await server.shutdown();
  }
});
