import assert from "node:assert/strict";
import type { RunRecord } from "@creditlab/runstore";
import { elapsedSeconds, wallSeconds } from "./experiment_data.ts";

const run = (startedAt: string, endedAt: string | null) => ({ startedAt, endedAt }) as RunRecord;

Deno.test("elapsedSeconds: first start to last end over the ended runs (hand-checked)", () => {
  const runs = [
    run("2026-12-07T05:00:00Z", "2026-12-07T05:10:00Z"), // 600 s
    run("2026-12-07T05:01:00Z", "2026-12-07T05:20:00Z"), // 1,140 s, side by side
    run("2026-12-07T04:00:00Z", null), // still running: left out
  ];
  assert.equal(elapsedSeconds(runs), 1200);
  assert.equal(runs.map(wallSeconds).reduce((a, b) => (a ?? 0) + (b ?? 0), 0), 1740);
  assert.equal(elapsedSeconds([run("2026-12-07T04:00:00Z", null)]), null);
  assert.equal(elapsedSeconds([]), null);
});
