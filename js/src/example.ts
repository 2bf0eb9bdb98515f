/**
 * Builders for the example pane: text, a table of fields, a grey image on a canvas. Data only
 * ever reaches the DOM through textContent / attributes set by us / pixels, never as HTML.
 */
import { collapse_text, more_text } from "./format";
import type { GreyImage, UnitContext } from "./types";

// ---------------------------------------------------------------- pure helpers

/** Group [name, value] pairs into table rows of `per_row` pairs (values as strings). */
export function table_rows(fields: unknown, per_row: number): [string, string][][] {
  const pairs: [string, string][] = [];
  if (Array.isArray(fields)) {
    for (const f of fields) {
      const [name, value] = Array.isArray(f) ? f : [f, ""];
      pairs.push([String(name ?? ""), String(value ?? "")]);
    }
  }
  const rows: [string, string][][] = [];
  const n = Math.max(1, Math.floor(per_row));
  for (let i = 0; i < pairs.length; i += n) rows.push(pairs.slice(i, i + n));
  return rows;
}

/** Pairs per table row: one for a few fields, more for wide rows so the table stays compact. */
export function pairs_per_row(n_fields: number): number {
  if (n_fields <= 8) return 1;
  if (n_fields <= 24) return 2;
  return 3;
}

/** Grey levels (0-255, row-major) to RGBA bytes; null when the sizes do not agree. */
export function grey_to_rgba(image: GreyImage | null | undefined): Uint8ClampedArray | null {
  if (!image || !Array.isArray(image.pixels)) return null;
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return null;
  }
  if (pixels.length !== width * height) return null;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < pixels.length; i++) {
    const v = Number(pixels[i]);
    const g = Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** A whole-number zoom so the image shows at about `target` px on its long side (>= 1). */
export function image_scale(width: number, height: number, target = 192): number {
  const side = Math.max(width, height, 1);
  return Math.max(1, Math.floor(target / side));
}

const UNIT_KINDS = ["sentence", "chunk", "message", "document"];

/** An item's `context` when it is usable (a unit inside its parent), else null. */
export function read_context(value: unknown): UnitContext | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const c = value as Partial<UnitContext>;
  const texts = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  const count = (v: unknown): number | null =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null;
  return {
    kind: UNIT_KINDS.includes(String(c.kind)) ? (c.kind as UnitContext["kind"]) : "document",
    parent_id: c.parent_id === undefined || c.parent_id === null ? "" : String(c.parent_id),
    position: count(c.position) ?? -1,
    n_units: count(c.n_units) ?? 0,
    before: texts(c.before),
    after: texts(c.after),
  };
}

/**
 * Where a unit sits: "sentence 3 of 12 · document d7" (position is 0-based; a message's parent
 * is a conversation). Unknown parts are left out.
 */
export function unit_where(c: UnitContext): string {
  let here: string = c.kind;
  if (c.position >= 0) here += ` ${c.position + 1}`;
  if (c.n_units > 0) here += ` of ${c.n_units}`;
  const parent = c.kind === "message" ? "conversation" : "document";
  return c.parent_id ? `${here} · ${parent} ${c.parent_id}` : here;
}

/** Neighbouring units as one text: sentences run on with a space, other units by lines. */
export function join_units(kind: UnitContext["kind"], units: readonly string[]): string {
  return units.join(kind === "sentence" ? " " : "\n");
}

// ---------------------------------------------------------------- DOM builders

export interface TextView {
  node: HTMLElement;
  /** The "show more" / "show less" button (not inside `node`), or null for a short text. */
  toggle: HTMLButtonElement | null;
}

/** The example text (dir="auto" for right-to-left scripts), collapsed unless `expanded`. */
export function build_text(doc: Document, text: unknown, expanded: boolean, limit = 600): TextView {
  const full = typeof text === "string" ? text : String(text ?? "");
  const node = doc.createElement("div");
  node.className = "jal-text";
  node.dir = "auto";
  const { shown, hidden } = collapse_text(full, limit);
  node.textContent = expanded || hidden === 0 ? full : `${shown}…`;
  if (hidden === 0) return { node, toggle: null };
  const toggle = doc.createElement("button");
  toggle.type = "button";
  toggle.className = "jal-more";
  toggle.dataset.testid = "jal-more";
  toggle.textContent = expanded ? "show less" : more_text(hidden);
  toggle.setAttribute("aria-expanded", String(expanded));
  return { node, toggle };
}

/** The fields of a numeric row as a compact table of name/value pairs. */
export function build_table(doc: Document, fields: unknown): HTMLTableElement {
  const table = doc.createElement("table");
  table.className = "jal-table";
  const n = Array.isArray(fields) ? fields.length : 0;
  const body = doc.createElement("tbody");
  for (const row of table_rows(fields, pairs_per_row(n))) {
    const tr = doc.createElement("tr");
    for (const [name, value] of row) {
      const th = doc.createElement("th");
      th.scope = "row";
      th.textContent = name;
      const td = doc.createElement("td");
      td.textContent = value;
      tr.append(th, td);
    }
    body.append(tr);
  }
  table.append(body);
  return table;
}

/** A grey image drawn 1:1 on a canvas and zoomed by CSS with crisp pixels. */
export function build_image(doc: Document, image: GreyImage | null | undefined): HTMLElement {
  const rgba = grey_to_rgba(image);
  if (!image || !rgba) {
    const bad = doc.createElement("div");
    bad.className = "jal-bad-image";
    bad.textContent = "this image cannot be shown (its pixels do not match its size)";
    return bad;
  }
  const canvas = doc.createElement("canvas");
  canvas.className = "jal-image";
  canvas.width = image.width;
  canvas.height = image.height;
  const scale = image_scale(image.width, image.height);
  canvas.style.width = `${image.width * scale}px`;
  canvas.style.height = `${image.height * scale}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `image ${image.width}×${image.height} pixels`);
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext("2d");
  } catch {
    ctx = null; // no canvas support (e.g. a DOM without layout): the element still shows size
  }
  if (ctx) {
    const data = ctx.createImageData(image.width, image.height);
    data.data.set(rgba);
    ctx.putImageData(data, 0, 0);
  }
  return canvas;
}

/** The unit's neighbours before or after it, dimmed (as text), or null when there are none. */
export function build_context(
  doc: Document,
  c: UnitContext,
  side: "before" | "after",
): HTMLElement | null {
  const units = c[side];
  if (!units.length) return null;
  const node = doc.createElement("div");
  node.className = `jal-context jal-context-${side}`;
  node.dataset.testid = `jal-context-${side}`;
  node.dir = "auto";
  node.setAttribute(
    "aria-label",
    `${side === "before" ? "text before" : "text after"} the ${c.kind}`,
  );
  node.textContent = join_units(c.kind, units);
  return node;
}
