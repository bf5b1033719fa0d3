/**
 * Browser check of the generated report: serve index.html (generated into a temp dir from a
 * fixture store) on 127.0.0.1, open it in headless Chromium (Debian's `chromium`, installed
 * by the set-up when missing) through playwright-core at 1400 x 900 px, and assert that the
 * tables and plots render with no console errors, that the page never scrolls sideways, and that
 * the SearchWorld numbers (verdict lines, paired table, EM table) sit inside the 1400 px
 * viewport. Saves a screenshot to reports/out/tmp/browser_check.png.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { generateReport } from "../reports/generate.ts";
import { writeFixtureStore, writePairedStore } from "../reports/testing.ts";

const CHROMIUM = "/usr/bin/chromium";
const WIDTH = 1400;

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output();
  const td = new TextDecoder();
  return { code: o.code, out: td.decode(o.stdout) + td.decode(o.stderr) };
}

/** Install Debian's chromium when it is missing (CI runs as root). */
async function ensureChromium(): Promise<void> {
  if (await exists(CHROMIUM)) return;
  const uid = Deno.uid();
  if (uid !== 0) {
    throw new Error(
      `browser check: ${CHROMIUM} is missing and this process is not root (uid ${uid}); install it with: sudo apt-get install -y chromium`,
    );
  }
  let r = await run("apt-get", ["install", "-y", "chromium"]);
  if (r.code !== 0) {
    await run("apt-get", ["update"]);
    r = await run("apt-get", ["install", "-y", "chromium"]);
  }
  if (r.code !== 0 || !(await exists(CHROMIUM))) {
    throw new Error(`browser check: apt-get install -y chromium failed:\n${r.out.slice(-2000)}`);
  }
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  md: "text/markdown; charset=utf-8",
};

Deno.test({
  name:
    "browser: the report renders in headless Chromium with tables, sized plots, no console errors",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await ensureChromium();
    const root = await Deno.makeTempDir({ prefix: "browser_test_" });
    const ac = new AbortController();
    let server: Deno.HttpServer | undefined;
    try {
      const out = `${root}/site`;
      await writeFixtureStore(`${root}/creditlab.duckdb`, { seeds: 2, steps: 3 });
      // An experiment as `reproduce` records it now: start/baseline/method arms, per-question
      // outcomes on both SearchWorld worlds, no QA-benchmark evaluation.
      await writePairedStore(`${root}/creditlab.duckdb`, {
        experiment: "probe",
        regime: "sparse-success",
        start: (q) => (q % 5 < 2 ? 0 : 1),
        baseline: (s, q) => (q % 5 === s % 5 ? 0 : 1),
        methodEm: () => 1,
      });
      await generateReport({ store: `${root}/creditlab.duckdb`, out, png: false });
      server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
        async (req) => {
          const path = decodeURIComponent(new URL(req.url).pathname);
          const rel = path === "/" ? "index.html" : path.slice(1);
          if (rel.includes("..")) return new Response("bad path", { status: 400 });
          try {
            const body = await Deno.readFile(`${out}/${rel}`);
            const ext = rel.slice(rel.lastIndexOf(".") + 1);
            return new Response(body, {
              headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
            });
          } catch {
            return new Response("not found", { status: 404 });
          }
        },
      );
      const addr = server.addr as Deno.NetAddr;
      const url = `http://127.0.0.1:${addr.port}/index.html`;
      const profile = `${root}/profile`;
      await Deno.mkdir(profile);
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: WIDTH, height: 900 },
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(`console: ${m.text()}`);
        });
        page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
        const resp = await page.goto(url, { waitUntil: "load" });
        assert.equal(resp?.status(), 200);
        const tables = await page.locator("table").count();
        assert.ok(tables >= 4, `expected the score tables, got ${tables} tables`);
        const scoreCells = await page.locator("table.scores td").count();
        assert.ok(scoreCells > 0, "score tables have cells");
        const plots = page.locator("figure.plot svg");
        const n = await plots.count();
        assert.ok(n >= 5, `expected plots, got ${n}`);
        for (let i = 0; i < n; i++) {
          const box = await plots.nth(i).boundingBox();
          assert.ok(box && box.width > 0 && box.height > 0, `plot ${i} has zero size`);
        }
        const heat = await page.locator('figure.plot[data-plot^="heat-"] svg').count();
        assert.ok(heat >= 1, "a credit heat map is shown");

        // At 1400 px the page never scrolls sideways (wide tables scroll inside their box).
        const scrollWidth = Number(
          await page.evaluate("document.documentElement.scrollWidth"),
        );
        assert.ok(scrollWidth <= WIDTH, `page is ${scrollWidth} px wide at ${WIDTH} px`);
        const inView = async (sel: string, what: string) => {
          const loc = page.locator(sel);
          const n = await loc.count();
          assert.ok(n > 0, `${what}: nothing matches ${sel}`);
          for (let i = 0; i < n; i++) {
            const el = loc.nth(i);
            const box = await el.boundingBox();
            assert.ok(box && box.width > 0, `${what} ${i} not rendered`);
            assert.ok(
              box.x >= 0 && box.x + box.width <= WIDTH,
              `${what} ${i} ("${await el.innerText()}") at x ${box.x}..${
                box.x + box.width
              }, outside the ${WIDTH} px viewport`,
            );
            // Not clipped by a sideways-scrolling table box either.
            const tw = el.locator("xpath=ancestor::div[contains(@class, 'tw')][1]");
            if ((await tw.count()) > 0) {
              const b = await tw.boundingBox();
              assert.ok(
                b && box.x >= b.x - 0.5 && box.x + box.width <= b.x + b.width + 0.5,
                `${what} ${i} hidden in a scrolled table box`,
              );
            }
          }
        };
        // The experiment recorded as reproduce records it now: verdict lines, the paired
        // table and the EM table's SearchWorld cells all in view; no wall of n/a cells.
        const probe = "#exp-probe";
        await inView(`${probe} ul.verdicts li`, "verdict line");
        await inView(`${probe} table.paired td`, "paired-table cell");
        await inView(`${probe} table.scores >> nth=0 >> td`, "EM table cell");
        const probeText = await page.locator(probe).innerText();
        assert.ok(!probeText.includes("n/a (no eval)"), "no n/a cells for the QA benchmarks");
        assert.ok(probeText.includes("The seven open-domain QA benchmarks"), "collapse note");
        // The verdict is the first thing of the section: above the EM table.
        const verdictY = (await page.locator(`${probe} ul.verdicts`).boundingBox())!.y;
        const tableY = (await page.locator(`${probe} table.scores`).first().boundingBox())!.y;
        assert.ok(verdictY < tableY, "verdict lines come before the tables");
        // Every section's verdict lines and paired table (SearchWorld only) are in view too.
        await inView("ul.verdicts li", "verdict line");
        await inView("table.paired td", "paired-table cell");
        await Deno.mkdir("reports/out/tmp", { recursive: true });
        await page.screenshot({ path: "reports/out/tmp/browser_check.png", fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    } finally {
      ac.abort();
      await server?.finished;
      await Deno.remove(root, { recursive: true });
    }
  },
});
