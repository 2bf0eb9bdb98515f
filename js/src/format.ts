/**
 * Pure text formatting for the view: numbers, labels of every task, progress, long-text
 * collapsing, and the regression input's parsing.
 */
import { index_text, parse_spans, spans_text } from "./spans";
import type { ClassSpec, JudgeNote, Label, Task } from "./types";

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

/**
 * A label or label set for display: ["a", "b"] -> "a, b"; [] -> "(none)"; null -> "—"; a
 * number as given (3.25 -> "3.25"); spans without their text as `type start–end`.
 */
export function format_label(label: Label | null | undefined): string {
  if (label === null || label === undefined) return DASH;
  if (Array.isArray(label)) {
    if (!label.length) return "(none)";
    if (label.some((x) => x && typeof x === "object")) return spans_text(parse_spans(label));
    return label.join(", ");
  }
  return String(label);
}

/**
 * A model's number, about 3 significant digits (whole numbers as they are): 3.2 -> "3.2",
 * 0.012345 -> "0.0123", 1234.5 -> "1235"; missing -> "—".
 */
export function format_number(x: number | null | undefined): string {
  if (!finite(x)) return DASH;
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) < 0.001) return String(Number(x.toPrecision(3))); // 1.23e-7
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  const text = x.toFixed(digits);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A regression prediction with its interval: "3.2 (2.1 – 4.4)"; no interval: "3.2". */
export function format_regression(prediction: unknown, interval: unknown): string {
  if (!finite(prediction)) return DASH;
  const shown = format_number(prediction);
  if (!Array.isArray(interval) || interval.length !== 2 || !interval.every(finite)) return shown;
  return `${shown} (${format_number(interval[0])} – ${format_number(interval[1])})`;
}

/** A grade (ranking) by name, or by its number (`value`) when a number comes. */
export function grade_name(value: unknown, classes: readonly ClassSpec[]): string {
  if (typeof value === "string") return value;
  if (finite(value)) {
    const grade = classes.find((c) => c.value === value);
    return grade ? grade.name : format_number(value);
  }
  return DASH;
}

/**
 * A label or prediction as the task shows it: spans with their covered text
 * (`time “7 pm” · people “4”`, [] -> "no spans"), a grade's name, a number; else format_label.
 */
export function format_answer(
  task: Task,
  value: unknown,
  ctx: { text?: unknown; classes?: readonly ClassSpec[] } = {},
): string {
  if (value === null || value === undefined) return DASH;
  if (task === "extraction") {
    if (!Array.isArray(value)) return DASH;
    const ix = index_text(typeof ctx.text === "string" ? ctx.text : "");
    return spans_text(parse_spans(value, ix.n), ix);
  }
  if (task === "ranking") return grade_name(value, ctx.classes ?? []);
  if (task === "regression") return finite(value) ? String(value) : DASH;
  return format_label(value as Label);
}

export type Parsed = { value: number; error?: undefined } | { value?: undefined; error: string };

/**
 * What was typed into the regression input, as a number: decimal notation with an optional
 * sign and exponent ("3.5", "-.5", "1e3", "−2" with a minus sign); anything else (empty, a
 * comma, words, hex, "Infinity", too large) is an error sentence.
 */
export function parse_number(typed: string): Parsed {
  const text = String(typed ?? "")
    .trim()
    .replace(/^\u2212/, "-");
  if (!text) return { error: "type a number" };
  if (/^[+-]?\d*,\d+$/.test(text) || /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) {
    return { error: `"${text}": use a point for decimals and no thousands separator (3.5, 1200)` };
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    return { error: `"${cut(text)}" is not a number` };
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `"${cut(text)}" is too large` };
  return { value };
}

const cut = (text: string) => (text.length > 24 ? `${text.slice(0, 23)}…` : text);

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
