import assert from "node:assert/strict";
import { getRegime, REGIME_NAMES } from "./regime.ts";

Deno.test("getRegime: every name resolves; an unknown one is a clear error", () => {
  for (const n of REGIME_NAMES) assert.equal(getRegime(n).name, n);
  assert.throws(() => getRegime("sparse"), /unknown regime "sparse"; expected one of mixed/);
});
