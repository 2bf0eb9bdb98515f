/**
 * Builders for the example pane: text, a table of fields, a grey image on a canvas. Data only
 * ever reaches the DOM through textContent / attributes set by us / pixels, never as HTML.
 */
import { collapse_text, more_text } from "./format";
import type { GreyImage } from "./types";

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
