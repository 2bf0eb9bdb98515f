/** Pure text formatting for the view: numbers, labels, progress and long-text collapsing. */
import type { JudgeNote, Label } from "./types";

const DASH = "—";

function finite(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** A probability as a whole percent: 0.734 -> "73%"; missing -> "—". */
export function format_confidence(confidence: number | null | undefined): string {
  if (!finite(confidence)) return DASH;
  return `${Math.round(confidence * 100)}%`;
}

/** An uncertainty score with two decimals: 0.4129 -> "0.41"; missing -> "—". */
export function format_uncertainty(uncertainty: number | null | undefined): string {
  if (!finite(uncertainty)) return DASH;
  return uncertainty.toFixed(2);
}

/** A label or label set for display: ["a", "b"] -> "a, b"; [] -> "(none)"; null -> "—". */
export function format_label(label: Label | null | undefined): string {
  if (label === null || label === undefined) return DASH;
  if (Array.isArray(label)) return label.length ? label.join(", ") : "(none)";
  return String(label);
}

/** 1234 -> "1,234" (fixed locale so tests and screenshots agree). */
export function format_count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export interface ProgressParts {
  n_labeled: number;
  /** 0-based index of the shown item, or -1 when none is shown. */
  item_index: number;
  n_items: number;
  /** Python's budget sentence, e.g. "88 of 100 labels left" ("" when unbounded). */
  budget?: string;
}

/** "12 labeled · item 3 of 10 · 88 of 100 labels left". */
export function progress_text(p: ProgressParts): string {
  const n = finite(p.n_labeled) ? p.n_labeled : 0;
  const parts = [`${format_count(n)} labeled`];
  if (p.item_index >= 0 && p.n_items > 0) {
    parts.push(`item ${p.item_index + 1} of ${p.n_items}`);
  } else if (p.n_items > 0) {
    parts.push("batch done");
  }
  if (p.budget) parts.push(p.budget);
  return parts.join(" · ");
}

export interface Collapsed {
  /** The text to show. */
  shown: string;
  /** How many characters are hidden (0 = nothing collapsed). */
  hidden: number;
}

/**
 * Cut a long text to about `limit` characters, at a space when one is near, never inside a
 * surrogate pair. Texts only a little longer than the limit are shown whole.
 */
export function collapse_text(text: string, limit = 600): Collapsed {
  const slack = Math.ceil(limit / 5);
  if (text.length <= limit + slack) return { shown: text, hidden: 0 };
  let cut = limit;
  const space = text.slice(0, limit + 1).search(/\s\S*$/);
  if (space >= limit - slack) cut = space;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a high surrogate with its pair
  const shown = text.slice(0, cut).replace(/\s+$/, "");
  return { shown, hidden: text.length - shown.length };
}

/** Label for the "show more" toggle. */
export function more_text(hidden: number): string {
  return `show more (${format_count(hidden)} more character${hidden === 1 ? "" : "s"})`;
}

/**
 * The LLM judge's note on an item as one line of plain text (shown with textContent):
 * "LLM judge (gpt-4o-mini): spam (80% sure) — an unsolicited offer". A suggestion for the
 * reviewer, never a label; "" when there is no usable note. Long rationales are cut.
 */
export function judge_line(note: JudgeNote | null | undefined, limit = 280): string {
  if (!note || typeof note !== "object" || Array.isArray(note)) return "";
  const label = note.label;
  const has_label =
    typeof label === "string" ||
    (Array.isArray(label) && label.every((x) => typeof x === "string"));
  const rationale = typeof note.rationale === "string" ? note.rationale.trim() : "";
  if (!has_label && !rationale) return "";
  const model =
    typeof note.model === "string" && note.model.trim() ? ` (${note.model.trim()})` : "";
  let line = `LLM judge${model}: ${has_label ? format_label(label as Label) : DASH}`;
  if (finite(note.confidence)) line += ` (${format_confidence(note.confidence)} sure)`;
  if (rationale) {
    const { shown, hidden } = collapse_text(rationale, limit);
    line += ` — ${hidden ? `${shown}…` : shown}`;
  }
  return line;
}
