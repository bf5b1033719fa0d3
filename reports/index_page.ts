/**
 * `index.html`: an overview of every experiment report in the output folder, one row per
 * `<experiment>.json` ({@link readIndexEntries}) — method, regime, the headline verdict, Δ
 * in-domain with its interval, the store it came from, links to its page, markdown and JSON
 * ({@link indexHtml}). Built from the folder, not from the store just read, so regenerating
 * from a store that holds one experiment keeps the others' rows.
 *
 * @module
 */

import { esc, signedPoints } from "./format.ts";
import { type ComparisonJson, REPORT_SCHEMA, type ReportJson } from "./json_schema.ts";
import { htmlPage } from "./render.ts";

/** One row of the overview: what index.html shows about one experiment report. */
export interface IndexEntry {
  /** Experiment name. */
  name: string;
  /** Id of the row (the report's `anchor`), so `index.html#exp-<name>` lands on it. */
  anchor: string;
  /** File stem of the report: `<stem>.json`, `<stem>.md`, `<stem>.html`. */
  stem: string;
  /** The run store the report was generated from. */
  store: string;
  /** The method arm's method, or null. */
  method: string | null;
  /** The regime's name, or null. */
  regime: string | null;
  /** The headline (in-domain) verdict, or null. */
  headline: { kind: string; text: string } | null;
  /** Δ(method − baseline) in-domain, fractions, or null when the report has no interval. */
  delta: { delta: number; lo: number; hi: number; how: string } | null;
  /** Which of the report's files are in the folder besides the JSON. */
  has: { html: boolean; md: boolean };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The in-domain Δ(method − baseline) of a report, when it has an interval. */
function inDomainDelta(j: Partial<ReportJson>): IndexEntry["delta"] {
  const world = Array.isArray(j.worlds) ? j.worlds.find((w) => w.domain === "in-domain") : null;
  const c: ComparisonJson | undefined = world?.comparisons?.find((x) => x.reference === "baseline");
  if (!c || c.delta === null || c.lo === null || c.hi === null) return null;
  return { delta: c.delta, lo: c.lo, hi: c.hi, how: c.how ?? "" };
}

/**
 * The overview rows of every experiment report in `dir`: each top-level `*.json` file that
 * carries {@link REPORT_SCHEMA} (other JSON files, e.g. deno.json, are skipped), sorted by
 * experiment name. A report file that cannot be read, or lacks the experiment, anchor or store,
 * is named in `notes` instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { REPORT_SCHEMA } from "./json_schema.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.json`, "{}"); // not a report: skipped
 * await Deno.writeTextFile(`${dir}/x.json`, JSON.stringify({
 *   schema: REPORT_SCHEMA, experiment: "x", anchor: "exp-x", store: "runs.duckdb",
 * }));
 * const { entries, notes } = await readIndexEntries(dir);
 * assert.deepEqual(entries.map((e) => [e.name, e.has.html]), [["x", false]]);
 * assert.deepEqual(notes, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readIndexEntries(
  dir: string,
): Promise<{ entries: IndexEntry[]; notes: string[] }> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { entries: [], notes: [] };
    throw e;
  }
  names.sort();
  const entries: IndexEntry[] = [];
  const notes: string[] = [];
  for (const name of names) {
    let j: Partial<ReportJson>;
    try {
      j = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
    } catch (e) {
      notes.push(
        `${name}: not readable as JSON (${(e as Error).message.split("\n")[0]}); skipped.`,
      );
      continue;
    }
    if (typeof j !== "object" || j === null || j.schema !== REPORT_SCHEMA) continue;
    if (
      typeof j.experiment !== "string" || typeof j.anchor !== "string" ||
      typeof j.store !== "string"
    ) {
      notes.push(`${name}: a ${REPORT_SCHEMA} file without experiment, anchor or store; skipped.`);
      continue;
    }
    const stem = name.slice(0, -".json".length);
    entries.push({
      name: j.experiment,
      anchor: j.anchor,
      stem,
      store: j.store,
      method: typeof j.method === "string" ? j.method : null,
      regime: typeof j.regime?.name === "string" ? j.regime.name : null,
      headline: j.headline ? { kind: j.headline.kind, text: j.headline.text } : null,
      delta: inDomainDelta(j),
      has: {
        html: await isFile(`${dir}/${stem}.html`),
        md: await isFile(`${dir}/${stem}.md`),
      },
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, notes };
}

const HEAD = [
  "experiment",
  "method",
  "regime",
  "verdict (SearchWorld, in-domain)",
  "Δ EM in-domain, method − baseline (points, 95% interval)",
  "run store",
  "files",
];

function row(e: IndexEntry): string {
  const link = (file: string, text: string) => `<a href="${esc(file)}">${esc(text)}</a>`;
  const page = `${e.stem}.html`;
  const name = e.has.html ? link(page, e.name) : esc(e.name);
  const verdict = e.headline
    ? `<td class="${esc(e.headline.kind)}">${esc(e.headline.text)}</td>`
    : `<td class="missing">no verdict</td>`;
  const delta = e.delta
    ? `${signedPoints(e.delta.delta)} [${signedPoints(e.delta.lo)}, ${signedPoints(e.delta.hi)}]${
      e.delta.how ? ` (${e.delta.how === "paired" ? "paired" : "Welch"})` : ""
    }`
    : "n/a";
  const files = [
    e.has.html ? link(page, "page") : "no page (regenerate from its store)",
    ...(e.has.md ? [link(`${e.stem}.md`, "markdown")] : []),
    link(`${e.stem}.json`, "JSON"),
  ].join(" · ");
  const cells = [e.method ?? "n/a", e.regime ?? "n/a"].map((c) => `<td>${esc(c)}</td>`);
  return `<tr id="${esc(e.anchor)}"><td>${name}</td>${cells.join("")}${verdict}<td>${
    esc(delta)
  }</td><td>${esc(e.store)}</td><td>${files}</td></tr>`;
}

/**
 * The whole index.html: one overview row per experiment report of the output folder (see
 * {@link readIndexEntries}: experiments absent from the store just read keep their rows), the
 * stores they came from and any notes. No sections inlined: each experiment has its own page.
 */
export function indexHtml(
  entries: readonly IndexEntry[],
  opts: { storeName: string; notes?: readonly string[] },
): string {
  const stores = [...new Set(entries.map((e) => e.store))].sort();
  const from = stores.length === 0
    ? `the run store ${opts.storeName}`
    : `the run store${stores.length > 1 ? "s" : ""} ${stores.join(", ")}`;
  const body = [
    `<h1>creditlab: credit assignment for search agents</h1>`,
    `<p>Built by <code>deno task report</code> ${
      esc(
        `from the experiment reports in this folder (<experiment>.json), generated from ${from}. An experiment missing from the store last read keeps its row. Same store and folder, same page, byte for byte. Each experiment's full report: its page (tables, plots, run configs), its markdown and its JSON.`,
      )
    }</p>`,
    ...(opts.notes ?? []).map((n) => `<p class="missing">${esc(n)}</p>`),
  ];
  if (entries.length === 0) {
    body.push(
      `<p class="missing">${
        esc(`The run store ${opts.storeName} holds no runs: nothing to report yet.`)
      }</p>`,
    );
  } else {
    body.push(
      `<div class="tw"><table class="overview"><thead><tr>${
        HEAD.map((h) => `<th>${esc(h)}</th>`).join("")
      }</tr></thead><tbody>`,
      ...entries.map(row),
      `</tbody></table></div>`,
    );
  }
  return htmlPage("creditlab report", body);
}
