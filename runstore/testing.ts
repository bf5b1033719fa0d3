/**
 * Test helpers of the run store (not part of mod.ts; `@creditlab/runstore/testing`, imported by
 * tests only): trajectory files in the legacy encoding, as stores written before the
 * interchange format hold them, for the tests of the legacy reader and of reports over old
 * stores.
 *
 * @module
 */
import { LEGACY_TRAJECTORY_COLUMNS } from "./legacy_trajectories.ts";
import { sqlString } from "./sql.ts";
import type { RunStore } from "./store.ts";
import type { TrajectoryRow } from "./trajectory_row.ts";

/** A row as the columns of a legacy trajectory file ({@link LEGACY_TRAJECTORY_COLUMNS}). */
export function legacyColumns(r: TrajectoryRow): Record<string, unknown> {
  return {
    question_id: r.questionId,
    group_id: r.groupId,
    row: r.row,
    tokens: r.tokens,
    roles: r.roles,
    round_ids: r.roundIds,
    loss_mask: r.lossMask,
    advantages: r.advantages,
    texts: r.texts,
    turn_roles: r.turnRoles,
    reward: r.reward,
    outcome: r.outcome,
    tool_calls: r.toolCalls,
    method_record: r.methodRecord ?? null,
    answer: r.answer ?? null,
    extra: r.extra ?? null,
  };
}

/**
 * Write `rows` at `path` as a legacy trajectory file (Parquet, zstd), through the connection of
 * `store`; an existing file is replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { RunStore } from "./store.ts";
 * import { trajectoryFileEncoding } from "./trajectory_files.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await RunStore.open(join(dir, "creditlab.duckdb"));
 * const path = join(dir, "step-000001.parquet");
 * await writeLegacyTrajectoryFile(store, path, []);
 * assert.equal(await trajectoryFileEncoding((sql) => store.query(sql), path), "legacy");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeLegacyTrajectoryFile(
  store: RunStore,
  path: string,
  rows: readonly TrajectoryRow[],
): Promise<void> {
  const spec = sqlString(JSON.stringify([LEGACY_TRAJECTORY_COLUMNS]));
  await store.query(
    `COPY (SELECT unnest(from_json($1::JSON, ${spec}), recursive := true))
     TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`,
    [JSON.stringify(rows.map(legacyColumns))],
  );
}
