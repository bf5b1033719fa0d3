/**
 * The pieces a report is made of ({@link Block}: headings, paragraphs, lists, tables, plots,
 * details, HTML-only parts) and their two renderings, markdown ({@link mdBlocks}) and HTML
 * ({@link htmlBlocks}), so that `<experiment>.md` and `<experiment>.html` are the same report.
 *
 * @module
 */

import { esc } from "./format.ts";
import { configFields } from "./config_split.ts";

/** A rendered plot of one experiment: its id, title, files and SVG text. */
export interface RenderedPlot {
  /** Short id, e.g. "curve-kl". */
  id: string;
  title: string;
  /** Path relative to the output folder (e.g. "plots/<experiment>-curve-kl.svg"). */
  svgPath: string;
  pngPath: string;
  svg: string;
}

/** A run of text whose first part may be bold; `code` spans become `<code>` in HTML. */
export interface Inline {
  strong?: string;
  text: string;
  /** HTML class (e.g. the verdict kind). */
  cls?: string;
}

/** A piece of a report, rendered to markdown and to HTML alike. */
export type Block =
  /** A heading: `##` / `<h2>`, or with `sub` `###` / `<h3>`. */
  | { kind: "h"; text: string; sub?: true }
  | { kind: "p"; inline: Inline; cls?: "note" | "missing" }
  | { kind: "list"; items: Inline[]; cls?: "verdicts" | "levers" | "configs" }
  | { kind: "table"; head: string[]; rows: string[][]; cls?: string }
  /** Plots: images linking SVG and PNG in markdown, inline SVG figures in HTML. */
  | { kind: "plots"; plots: RenderedPlot[] }
  /**
   * A folded config (e.g. the one the runs share): a table of its fields by dotted path, the
   * values as JSON.
   */
  | { kind: "details"; summary: string; config: unknown }
  /** HTML only (e.g. the heat map's coloured turn texts): nothing in markdown. */
  | { kind: "html"; html: string };

/** A paragraph of plain text (with `code` spans), optionally a note or a missing-data line. */
export function para(text: string, cls?: "note" | "missing"): Block {
  return cls ? { kind: "p", cls, inline: { text } } : { kind: "p", inline: { text } };
}

function mdEscape(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** One column of a table: its header and how a row's item gives its cell. */
export type Column<T> = readonly [head: string, cell: (item: T) => string];

/**
 * A table block from columns and items, so that a header and its cells are declared together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnTable } from "./render_blocks.ts";
 * const t = columnTable([["n", (x: number) => String(x)], ["n²", (x) => String(x * x)]], [2, 3]);
 * assert.deepEqual(t, { kind: "table", head: ["n", "n²"], rows: [["2", "4"], ["3", "9"]] });
 * ```
 */
export function columnTable<T>(
  columns: readonly Column<T>[],
  items: readonly T[],
  cls?: string,
): Block {
  const head = columns.map(([h]) => h);
  const rows = items.map((it) => columns.map(([, cell]) => cell(it)));
  return cls === undefined ? { kind: "table", head, rows } : { kind: "table", head, rows, cls };
}

/** A markdown table (cells escaped: `|` and line breaks). */
export function mdTable(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map(mdEscape).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** An HTML table inside a box that scrolls sideways, so a wide table never widens the page. */
export function htmlTable(head: string[], rows: string[][], cls = ""): string {
  return `<div class="tw"><table${cls ? ` class="${cls}"` : ""}><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table></div>`;
}

/** A config's fields as table rows: dotted path, value as JSON. */
function configRows(config: unknown): string[][] {
  return configFields(config).map((f) => [f.path, JSON.stringify(f.value)]);
}

/** The markdown of an inline run: `**strong**text`. */
export function mdInline(i: Inline): string {
  return `${i.strong ? `**${i.strong}**` : ""}${i.text}`;
}

/** Escaped text with `code` spans as <code>. */
function htmlText(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function htmlInline(i: Inline): string {
  return `${i.strong ? `<strong>${htmlText(i.strong)}</strong>` : ""}${htmlText(i.text)}`;
}

function mdImage(p: RenderedPlot): string {
  return `![${p.title}](${p.svgPath}) ([PNG](${p.pngPath}))`;
}

/** Markdown lines of the blocks, each block followed by an empty line. */
export function mdBlocks(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b): string[] => {
    switch (b.kind) {
      case "h":
        return [`${b.sub ? "###" : "##"} ${b.text}`, ""];
      case "p":
        return [mdInline(b.inline), ""];
      case "list":
        return [...b.items.map((i) => `- ${mdInline(i)}`), ""];
      case "table":
        return [mdTable(b.head, b.rows), ""];
      case "plots":
        return b.plots.flatMap((p) => [mdImage(p), ""]);
      case "details":
        return [
          `<details><summary>${b.summary}</summary>`,
          "",
          mdTable(["field", "value"], configRows(b.config)),
          "",
          "</details>",
          "",
        ];
      case "html":
        return [];
    }
  });
}

/** An inline SVG plot with its caption and links to the SVG and PNG files. */
function figure(p: RenderedPlot): string {
  const svg = p.svg.replace(/^<\?xml[^>]*>\s*/, "");
  return `<figure class="plot" data-plot="${esc(p.id)}">${svg}<figcaption>${
    esc(p.title)
  } · <a href="${esc(p.svgPath)}">SVG</a> · <a href="${
    esc(p.pngPath)
  }">PNG</a></figcaption></figure>`;
}

/** HTML lines of the blocks (headings one level below the page's `<h1>`). */
export function htmlBlocks(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b): string[] => {
    switch (b.kind) {
      case "h":
        return [b.sub ? `<h3>${esc(b.text)}</h3>` : `<h2>${esc(b.text)}</h2>`];
      case "p":
        return [`<p${b.cls ? ` class="${b.cls}"` : ""}>${htmlInline(b.inline)}</p>`];
      case "list":
        return [
          `<ul class="${b.cls ?? "verdicts"}">${
            b.items.map((i) => `<li${i.cls ? ` class="${esc(i.cls)}"` : ""}>${htmlInline(i)}</li>`)
              .join("")
          }</ul>`,
        ];
      case "table":
        return [htmlTable(b.head, b.rows, b.cls ?? "")];
      case "plots":
        return b.plots.length ? [`<div class="grid">`, ...b.plots.map(figure), `</div>`] : [];
      case "details":
        return [
          `<details><summary>${esc(b.summary)}</summary>${
            htmlTable(
              ["field", "value"],
              configRows(b.config),
              "config",
            )
          }</details>`,
        ];
      case "html":
        return [b.html];
    }
  });
}
