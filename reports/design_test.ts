import assert from "node:assert/strict";
import { designFor, projectDesign } from "./design.ts";

Deno.test("projectDesign: the recorded design reproduces its own se; more questions or seeds shrink it", () => {
  // Components worked by hand: Var = 0.002/4 + 0.01/300 + 0.12/1200 = 5e-4 + 3.333e-5 + 1e-4.
  const c = { seed: 0.002, question: 0.01, residual: 0.12 };
  const p = projectDesign(c, { seeds: 4, questions: 300 });
  assert.ok(Math.abs(p.se ** 2 - (5e-4 + 0.01 / 300 + 1e-4)) < 1e-15);
  // Satterthwaite on E[MS]: MS_s = 0.12 + 300*0.002 = 0.72 (3 df), MS_q = 0.12 + 4*0.01 = 0.16
  // (299 df), MS_e = 0.12 (897 df); V*SQ = 0.76; df = 0.76^2 / (0.72^2/3 + 0.16^2/299 + 0.12^2/897).
  const df = 0.76 ** 2 / (0.72 ** 2 / 3 + 0.16 ** 2 / 299 + 0.12 ** 2 / 897);
  assert.ok(Math.abs(p.df - df) < 1e-9);
  // The seed component is not averaged away by questions: 16x the questions barely helps.
  const moreQ = projectDesign(c, { seeds: 4, questions: 4800 });
  assert.ok(moreQ.se > Math.sqrt(0.002 / 4) && moreQ.se < p.se);
  // With no seed component, four times the questions halve the se.
  const noSeed = { seed: 0, question: 0.01, residual: 0.12 };
  const a = projectDesign(noSeed, { seeds: 4, questions: 300 });
  const b = projectDesign(noSeed, { seeds: 4, questions: 1200 });
  assert.ok(Math.abs(b.se / a.se - 0.5) < 1e-12);
  assert.throws(() => projectDesign(c, { seeds: 0, questions: 300 }), /seeds >= 1/);
  assert.throws(
    () => projectDesign({ ...c, seed: -1 }, { seeds: 2, questions: 3 }),
    /seed must be/,
  );
});

Deno.test("designFor: the smallest design meeting a half-width, or null", () => {
  const c = { seed: 0, question: 0.19, residual: 0.13 };
  const d = designFor(c, { halfWidth: 0.03, seeds: 4 })!;
  assert.ok(d.halfWidth <= 0.03);
  assert.ok(projectDesign(c, { seeds: 4, questions: d.questions - 1 }).halfWidth > 0.03);
  // Var ~ (0.19 + 0.13/4)/Q <= (0.03/1.96)^2 gives Q ~ 950.
  assert.ok(d.questions > 900 && d.questions < 1000, `${d.questions}`);
  // A seed component sets a floor that questions cannot pass: seeds must grow instead.
  const seedy = { seed: 0.0024, question: 0.007, residual: 0.156 };
  assert.equal(designFor(seedy, { halfWidth: 0.03, seeds: 4, max: 100_000 }), null);
  const s = designFor(seedy, { halfWidth: 0.03, questions: 300 })!;
  assert.ok(s.seeds > 4 && s.halfWidth <= 0.03);
  assert.throws(() => designFor(c, { halfWidth: 0.03 }), /exactly one of seeds and questions/);
});
