/**
 * Browser check of the generated reports: serve the output folder (generated into a temp dir
 * from fixture stores) on 127.0.0.1 and open it in headless Chromium (Debian's `chromium`,
 * installed by the set-up when missing) through playwright-core at 1400 x 900 px. index.html:
 * the overview table, one row per experiment, the shared stylesheet applied (standards mode),
 * no console errors. Then every experiment page linked from it: tables and sized plots render
 * with no console errors, the page never scrolls sideways, and the SearchWorld numbers (verdict
 * lines, paired table, EM table) sit inside the 1400 px viewport. Saves screenshots to
 * reports/out/tmp/browser_check.png (an experiment page) and browser_index.png.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { generateReport } from "../reports/generate.ts";
import { writeFixtureStore, writePairedStore } from "../reports/testing.ts";
import { aptInstall } from "../tools/apt.ts";

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

/** Install Debian's chromium when it is missing (CI runs as root). */
async function ensureChromium(): Promise<void> {
  if (await exists(CHROMIUM)) return;
  const uid = Deno.uid();
  if (uid !== 0) {
    throw new Error(
      `browser check: ${CHROMIUM} is missing and this process is not root (uid ${uid}); install it with: sudo apt-get install -y chromium`,
    );
  }
  const r = await aptInstall(["chromium"]);
  if (!r.ok || !(await exists(CHROMIUM))) {
    throw new Error(`browser check: apt-get install -y chromium failed:\n${r.output.slice(-2000)}`);
  }
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  md: "text/markdown; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
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
        page.on("response", (r) => {
          if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
        });
        const noSidewaysScroll = async (what: string) => {
          const scrollWidth = Number(await page.evaluate("document.documentElement.scrollWidth"));
          assert.ok(scrollWidth <= WIDTH, `${what} is ${scrollWidth} px wide at ${WIDTH} px`);
        };
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

        // index.html: the overview, one row per experiment, styled by report.css.
        const resp = await page.goto(url, { waitUntil: "load" });
        assert.equal(resp?.status(), 200);
        assert.equal(await page.evaluate("document.compatMode"), "CSS1Compat", "standards mode");
        const maxWidth = await page.evaluate("getComputedStyle(document.body).maxWidth");
        assert.equal(maxWidth, "1200px", "report.css applied");
        const rows = page.locator("table.overview tbody tr");
        assert.deepEqual(
          await rows.evaluateAll((trs) => trs.map((tr) => tr.id)),
          ["exp-alpha", "exp-beta", "exp-probe", "exp-sft"],
        );
        assert.equal(await page.locator("figure.plot").count(), 0, "no sections inlined");
        await inView("#exp-probe td", "overview cell of probe");
        assert.equal(await page.locator("#exp-probe td.reproduces").count(), 1, "probe verdict");
        await noSidewaysScroll("index.html");
        await Deno.mkdir("reports/out/tmp", { recursive: true });
        await page.screenshot({ path: "reports/out/tmp/browser_index.png", fullPage: true });
        const pages = await page.locator('table.overview a:text-is("page")').evaluateAll((as) =>
          as.map((a) => a.getAttribute("href") ?? "")
        );
        assert.deepEqual(pages, ["alpha.html", "beta.html", "probe.html", "sft.html"]);

        // Follow the probe's link: its page, as reproduce records an experiment now.
        await page.click('#exp-probe a:text-is("page")');
        await page.waitForLoadState("load");
        assert.ok(page.url().endsWith("/probe.html"), page.url());
        const probe = "#exp-probe";
        assert.equal(await page.locator(`${probe} h1`).innerText(), "probe");
        await inView(`${probe} ul.verdicts li`, "verdict line");
        await inView(`${probe} table.paired td`, "paired-table cell");
        await inView(`${probe} table.scores >> nth=0 >> td`, "EM table cell");
        const probeText = await page.locator(probe).innerText();
        assert.ok(!probeText.includes("n/a (no eval)"), "no n/a cells for the QA benchmarks");
        assert.ok(probeText.includes("The seven open-domain QA benchmarks"), "collapse note");
        // The verdict is the first thing of the page: above the EM table.
        const verdictY = (await page.locator(`${probe} ul.verdicts`).boundingBox())!.y;
        const tableY = (await page.locator(`${probe} table.scores`).first().boundingBox())!.y;
        assert.ok(verdictY < tableY, "verdict lines come before the tables");
        await page.screenshot({ path: "reports/out/tmp/browser_check.png", fullPage: true });

        // Every experiment page: tables, sized plots, no sideways scroll, numbers in view.
        let plotsSeen = 0;
        let heatSeen = 0;
        for (const href of pages) {
          const r = await page.goto(new URL(href, url).href, { waitUntil: "load" });
          assert.equal(r?.status(), 200, href);
          const tables = await page.locator("table").count();
          assert.ok(tables >= 4, `${href}: expected the score tables, got ${tables} tables`);
          assert.ok((await page.locator("table.scores td").count()) > 0, `${href}: score cells`);
          const plots = page.locator("figure.plot svg");
          const n = await plots.count();
          for (let i = 0; i < n; i++) {
            const box = await plots.nth(i).boundingBox();
            assert.ok(box && box.width > 0 && box.height > 0, `${href}: plot ${i} has zero size`);
          }
          plotsSeen += n;
          heatSeen += await page.locator('figure.plot[data-plot^="heat-"] svg').count();
          await noSidewaysScroll(href);
          if ((await page.locator("ul.verdicts li").count()) > 0) {
            await inView("ul.verdicts li", `${href}: verdict line`);
          }
          if ((await page.locator("table.paired td").count()) > 0) {
            await inView("table.paired td", `${href}: paired-table cell`);
          }
        }
        assert.ok(plotsSeen >= 5, `expected plots, got ${plotsSeen}`);
        assert.ok(heatSeen >= 1, "a credit heat map is shown");
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
