/**
 * The extraction view's logic as pure functions: code point offsets, tokens, the overlap
 * rules and the span editor's state (the working set, the token cursor, the selected span).
 * The DOM is span_view.ts.
 *
 * Offsets are Unicode code point indices, as Python indexes strings, never UTF-16 units: an
 * emoji before a span moves it by one in Python and by two in JavaScript. Everything here
 * counts code points; only `TextIndex` converts, for the DOM and for `String.slice`.
 */
import type { Span, SpanOverlap } from "./types";

// ------------------------------------------------------------------ code points

export interface TextIndex {
  text: string;
  /** UTF-16 offset where each code point starts, then `text.length` (n + 1 entries). */
  u16: number[];
  /** The number of code points (Python's `len(text)`). */
  n: number;
}

/** Index a text by code point (for the conversions below). */
export function index_text(text: string): TextIndex {
  const u16 = [0];
  let pos = 0;
  for (const ch of text) {
    pos += ch.length;
    u16.push(pos);
  }
  return { text, u16, n: u16.length - 1 };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/** A code point offset as a UTF-16 offset (clamped to the text). */
export function cp_to_u16(ix: TextIndex, cp: number): number {
  return ix.u16[clamp(Math.trunc(cp) || 0, 0, ix.n)];
}

/**
 * A UTF-16 offset as a code point offset (clamped to the text). An offset inside a surrogate
 * pair (between its halves) rounds `down` to the pair's start or `up` past it.
 */
export function u16_to_cp(ix: TextIndex, u: number, round: "down" | "up" = "down"): number {
  const x = clamp(Math.trunc(u) || 0, 0, ix.text.length);
  let lo = 0;
  let hi = ix.n;
  while (lo < hi) {
    // the largest i with u16[i] <= x
    const mid = (lo + hi + 1) >> 1;
    if (ix.u16[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return ix.u16[lo] === x || round === "down" ? lo : lo + 1;
}

/** The text of code points [start, end). */
export function slice_cp(ix: TextIndex, start: number, end: number): string {
  return ix.text.slice(cp_to_u16(ix, start), cp_to_u16(ix, Math.max(start, end)));
}

// ------------------------------------------------------------------ tokens

// Python's `\s` for str (str.isspace): JavaScript's `\s` lacks \x1c-\x1f and \x85 and adds \ufeff
const SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SPACE_RE = new RegExp(`^[${SPACE}]$`, "u");

/**
 * jupyter_al.extraction.TOKEN_PATTERN (`\d+|[^\W\d_]+|[^\w\s]|_`) with Python's Unicode
 * classes: `\d` is \p{Nd}, `\w` is letters, numbers and `_` (JavaScript's are ASCII only).
 */
export const TOKEN_PATTERN = `\\p{Nd}+|[\\p{L}\\p{Nl}\\p{No}]+|[^\\p{L}\\p{N}_${SPACE}]|_`;

/** Whitespace as Python's `str.isspace` sees it (one code point). */
export function is_space(ch: string): boolean {
  return SPACE_RE.test(ch);
}

/** A token's code point offsets [start, end). */
export interface Token {
  start: number;
  end: number;
}

/** Split a text into tokens like the Python tokenizer (jupyter_al.extraction.tokenize). */
export function tokenize(ix: TextIndex): Token[] {
  const tokens: Token[] = [];
  let cp = 0;
  let u = 0;
  for (const m of ix.text.matchAll(new RegExp(TOKEN_PATTERN, "gu"))) {
    const a = m.index ?? 0;
    // walk forward (matches come in order): cheaper than a search per token
    while (u < a) u = ix.u16[++cp];
    const start = cp;
    const b = a + m[0].length;
    while (u < b) u = ix.u16[++cp];
    tokens.push({ start, end: cp });
  }
  return tokens;
}

/**
 * The tokens (first and last index, inclusive) that a selection of code points [start, end)
 * covers once surrounding whitespace is trimmed; null when nothing but whitespace is selected.
 * A span over them snaps outward to whole tokens.
 */
export function tokens_in(
  ix: TextIndex,
  tokens: readonly Token[],
  start: number,
  end: number,
): [number, number] | null {
  let a = clamp(start, 0, ix.n);
  let b = clamp(end, 0, ix.n);
  while (a < b && is_space(slice_cp(ix, a, a + 1))) a++;
  while (b > a && is_space(slice_cp(ix, b - 1, b))) b--;
  if (a >= b) return null;
  const first = tokens.findIndex((t) => t.end > a);
  if (first < 0 || tokens[first].start >= b) return null;
  let last = first;
  while (last + 1 < tokens.length && tokens[last + 1].start < b) last++;
  return [first, last];
}

/** A selection snapped to whole tokens (trimmed first), or null: see `tokens_in`. */
export function snap_to_tokens(
  ix: TextIndex,
  tokens: readonly Token[],
  start: number,
  end: number,
): Token | null {
  const r = tokens_in(ix, tokens, start, end);
  return r ? { start: tokens[r[0]].start, end: tokens[r[1]].end } : null;
}

/** The token at code point `at`, else the next one, else the last one (-1: no tokens). */
export function token_at(tokens: readonly Token[], at: number): number {
  const i = tokens.findIndex((t) => t.end > at);
  return i >= 0 ? i : tokens.length - 1;
}

// ------------------------------------------------------------------ spans

export type Origin = "model" | "you";

/** A span of the working set: proposed by the model (not confirmed yet) or given by you. */
export interface WorkSpan extends Span {
  origin: Origin;
}

export const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;
/** `a` contains `b` (or they are the same extent). */
export const contains = (a: Span, b: Span): boolean => a.start <= b.start && b.end <= a.end;
/** They overlap and neither contains the other (forbidden under "nested"). */
export const crosses = (a: Span, b: Span): boolean =>
  overlaps(a, b) && !contains(a, b) && !contains(b, a);
export const same_span = (a: Span, b: Span): boolean =>
  a.start === b.start && a.end === b.end && a.type === b.type;

/** Order by (start, end, type), as the label message sends them. */
export function compare_spans(a: Span, b: Span): number {
  return a.start - b.start || a.end - b.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

/** Sorted by (start, end, type), duplicates dropped (the first one stays). */
export function sort_spans<T extends Span>(spans: readonly T[]): T[] {
  const out: T[] = [];
  for (const s of [...spans].sort(compare_spans)) {
    if (!out.length || !same_span(out[out.length - 1], s)) out.push(s);
  }
  return out;
}

/**
 * Spans from Python (`[{start, end, type}]`, or `[start, end, type]` triples), sorted; anything
 * malformed, empty or past `n` code points is dropped. Not a list: [].
 */
export function parse_spans(value: unknown, n = Number.POSITIVE_INFINITY): Span[] {
  if (!Array.isArray(value)) return [];
  const out: Span[] = [];
  for (const v of value) {
    const [start, end, type] = Array.isArray(v)
      ? v
      : v && typeof v === "object"
        ? [(v as Span).start, (v as Span).end, (v as Span).type]
        : [];
    if (!Number.isInteger(start) || !Number.isInteger(end) || typeof type !== "string") continue;
    if (start < 0 || end <= start || end > n) continue;
    out.push({ start, end, type });
  }
  return sort_spans(out);
}

/** `time “7 pm”` (the covered text cut at `limit` code points), or `time 3–5` without a text. */
export function describe_span(span: Span, ix?: TextIndex | null, limit = 40): string {
  if (!ix) return `${span.type} ${span.start}–${span.end}`;
  const n = span.end - span.start;
  const covered =
    n > limit
      ? `${slice_cp(ix, span.start, span.start + limit - 1)}…`
      : slice_cp(ix, span.start, span.end);
  return `${span.type} “${covered}”`;
}

/** A list of spans as one line: `time “7 pm” · people “4”`; [] -> "no spans". */
export function spans_text(spans: readonly Span[], ix?: TextIndex | null): string {
  return spans.length ? spans.map((s) => describe_span(s, ix)).join(" · ") : "no spans";
}

export interface AddResult {
  spans: WorkSpan[];
  /** Whether the span went in (refused or already there: false). */
  added: boolean;
  /** The span's index in `spans` (the existing one when it was already there), else -1. */
  index: number;
  note: string;
}

/**
 * Add a span (yours) to a working set under an overlap rule: "forbid" replaces the spans it
 * overlaps, "nested" refuses a span that crosses another (overlaps without containing it or
 * being contained), "allow" takes anything. The same span twice is never added.
 */
export function add_span(
  spans: readonly WorkSpan[],
  span: Span,
  rule: SpanOverlap,
  ix?: TextIndex | null,
): AddResult {
  const what = describe_span(span, ix);
  const dup = spans.findIndex((s) => same_span(s, span));
  if (dup >= 0) return { spans: [...spans], added: false, index: dup, note: `${what} is there` };
  let kept: readonly WorkSpan[] = spans;
  let note = `added ${what}`;
  if (rule === "nested") {
    const bad = spans.find((s) => crosses(s, span));
    if (bad) {
      const why = `crosses ${describe_span(bad, ix)} (spans may nest, not cross)`;
      return { spans: [...spans], added: false, index: -1, note: `not added: ${what} ${why}` };
    }
  } else if (rule !== "allow") {
    const gone = spans.filter((s) => overlaps(s, span));
    if (gone.length) {
      kept = spans.filter((s) => !overlaps(s, span));
      const list = gone.map((s) => describe_span(s, ix)).join(", ");
      note = `${what} replaced ${list} (spans may not overlap)`;
    }
  }
  const mine: WorkSpan = { start: span.start, end: span.end, type: span.type, origin: "you" };
  const next = sort_spans([...kept, mine]);
  return { spans: next, added: true, index: next.indexOf(mine), note };
}

// ------------------------------------------------------------------ the span editor

/** The span editor's state for one item (kept per item until its label is sent). */
export interface SpanWork {
  /** The working set, sorted; what Enter sends. */
  spans: WorkSpan[];
  /** Token index of the keyboard cursor, or null. */
  cursor: number | null;
  /** Token index where the selection started (it runs to `cursor`), or null: no selection. */
  anchor: number | null;
  /** Index in `spans` of the selected span, or null. */
  selected: number | null;
  /** What the last edit did ("replaced ...", "not added: ..."), or "". */
  note: string;
}

/**
 * The working set an item starts with: its label (your spans) when it has one, else the
 * model's proposed spans when `use_prediction`, else none.
 */
export function start_work(
  label: unknown,
  prediction: unknown,
  use_prediction: boolean,
  n?: number,
): SpanWork {
  const spans: WorkSpan[] = Array.isArray(label)
    ? parse_spans(label, n).map((s) => ({ ...s, origin: "you" }))
    : use_prediction
      ? parse_spans(prediction, n).map((s) => ({ ...s, origin: "model" }))
      : [];
  return { spans, cursor: null, anchor: null, selected: null, note: "" };
}

/** The selected tokens (first, last; inclusive): anchor..cursor, else the cursor's token. */
export function selected_tokens(work: SpanWork): [number, number] | null {
  if (work.cursor === null) return null;
  const a = work.anchor ?? work.cursor;
  return [Math.min(a, work.cursor), Math.max(a, work.cursor)];
}

/**
 * Move the token cursor by `delta` (from nowhere: to the first or last token); `extend` grows
 * the selection from where it started (shift+arrow). Deselects the selected span.
 */
export function move_cursor(
  work: SpanWork,
  n_tokens: number,
  delta: number,
  extend: boolean,
): SpanWork {
  if (n_tokens <= 0) return { ...work, note: "" };
  const from = work.cursor === null ? null : clamp(work.cursor, 0, n_tokens - 1);
  const to = from === null ? (delta > 0 ? 0 : n_tokens - 1) : clamp(from + delta, 0, n_tokens - 1);
  const anchor = extend ? (work.anchor ?? from ?? to) : null;
  return { ...work, cursor: to, anchor, selected: null, note: "" };
}

/** Select tokens first..last (a mouse selection): the cursor sits on the last one. */
export function select_tokens(work: SpanWork, first: number, last: number): SpanWork {
  return { ...work, cursor: last, anchor: first, selected: null, note: "" };
}

/**
 * A type key or button: retype the selected span, else add a span of `type` over the selected
 * tokens (under the overlap rule; the new span is then selected), else say what to do.
 */
export function apply_type(
  work: SpanWork,
  type: string,
  tokens: readonly Token[],
  rule: SpanOverlap,
  ix?: TextIndex | null,
): SpanWork {
  const picked = work.selected === null ? undefined : work.spans[work.selected];
  if (picked) return retype(work, type, ix);
  const sel = selected_tokens(work);
  if (!sel || !tokens[sel[0]] || !tokens[sel[1]]) {
    const how = "drag over it, or move with ←/→ and extend with shift+←/→";
    return { ...work, note: `select some text first: ${how}` };
  }
  const span = { start: tokens[sel[0]].start, end: tokens[sel[1]].end, type };
  const r = add_span(work.spans, span, rule, ix);
  if (r.index < 0) return { ...work, note: r.note }; // refused: the selection stays to adjust
  return { ...work, spans: r.spans, anchor: null, selected: r.index, note: r.note };
}

/** Give the selected span another type (it becomes yours; a duplicate merges into one). */
function retype(work: SpanWork, type: string, ix?: TextIndex | null): SpanWork {
  const old = work.spans[work.selected as number];
  const mine: WorkSpan = { start: old.start, end: old.end, type, origin: "you" };
  const rest = work.spans.filter((s) => s !== old && !same_span(s, mine));
  const spans = sort_spans([...rest, mine]);
  const note =
    old.type === type
      ? `kept ${describe_span(old, ix)}`
      : `${describe_span(old, ix)} is now ${type}`;
  return { ...work, spans, anchor: null, selected: spans.indexOf(mine), note };
}

/**
 * Tab / shift+Tab: select the next / previous span (from none: the first / last; past the
 * end: none). The cursor follows to the span's first token.
 */
export function cycle_span(work: SpanWork, delta: number, tokens: readonly Token[] = []): SpanWork {
  const n = work.spans.length;
  if (!n) return { ...work, note: "" };
  const next = work.selected === null ? (delta > 0 ? 0 : n - 1) : work.selected + delta;
  if (next < 0 || next >= n) return { ...work, selected: null, anchor: null, note: "" };
  const at = token_at(tokens, work.spans[next].start);
  const cursor = at >= 0 ? at : work.cursor;
  return { ...work, selected: next, anchor: null, cursor, note: "" };
}

/** A chip was clicked: select its span (clicking the selected one deselects it). */
export function pick_span(work: SpanWork, i: number): SpanWork {
  if (!work.spans[i]) return work;
  return { ...work, selected: work.selected === i ? null : i, anchor: null, note: "" };
}

/** Remove span `i` (a chip's remove button). */
export function remove_span(work: SpanWork, i: number, ix?: TextIndex | null): SpanWork {
  const gone = work.spans[i];
  if (!gone) return work;
  const spans = work.spans.filter((_, k) => k !== i);
  const sel = work.selected;
  const selected = sel === null || sel === i ? null : sel > i ? sel - 1 : sel;
  return { ...work, spans, selected, note: `removed ${describe_span(gone, ix)}` };
}

/** Delete / Backspace: remove the selected span (nothing selected: unchanged). */
export function remove_selected(work: SpanWork, ix?: TextIndex | null): SpanWork {
  return work.selected === null ? work : remove_span(work, work.selected, ix);
}

/** Empty the working set (then Enter confirms "no spans"). */
export function clear_spans(work: SpanWork): SpanWork {
  const note = work.spans.length
    ? "all spans removed: confirm to label this text as having none"
    : "";
  return { ...work, spans: [], selected: null, anchor: null, note };
}

/** Whether Escape has something to clear (a selected span, a selection, the cursor). */
export function can_escape(work: SpanWork): boolean {
  return work.selected !== null || work.anchor !== null || work.cursor !== null;
}

/** Escape: deselect the span, else drop the selection, else the cursor (one step at a time). */
export function escape_work(work: SpanWork): SpanWork {
  if (work.selected !== null) return { ...work, selected: null, note: "" };
  if (work.anchor !== null) return { ...work, anchor: null, note: "" };
  return { ...work, cursor: null, note: "" };
}

/**
 * A click at code point `at`: on a span, select the shortest span there (clicking again
 * selects the next one there); elsewhere, put the cursor on the token there.
 */
export function click_at(work: SpanWork, at: number, tokens: readonly Token[]): SpanWork {
  const here = work.spans
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.start <= at && at < s.end)
    .sort((a, b) => a.s.end - a.s.start - (b.s.end - b.s.start) || a.i - b.i)
    .map(({ i }) => i);
  const t = token_at(tokens, at);
  const cursor = t >= 0 ? t : null;
  if (here.length) {
    const k = work.selected === null ? -1 : here.indexOf(work.selected);
    return { ...work, selected: here[(k + 1) % here.length], anchor: null, cursor, note: "" };
  }
  return { ...work, selected: null, anchor: null, cursor, note: "" };
}

/** The label to send: the working set as `{start, end, type}`, sorted by (start, end, type). */
export function work_label(work: SpanWork): Span[] {
  return sort_spans(work.spans.map((s) => ({ start: s.start, end: s.end, type: s.type })));
}

// ------------------------------------------------------------------ drawing

/** A piece of the text between two boundaries, with what covers it. */
export interface Segment {
  start: number;
  end: number;
  /** Indices of the spans covering it. */
  spans: number[];
  /** Inside the cursor's token. */
  cursor: boolean;
  /** Inside the selection (a selection exists: anchor set). */
  selected: boolean;
}

/**
 * Cut a text of `n` code points at every boundary of the spans, the cursor's token and the
 * selection: each piece is covered by the same spans throughout (overlapping and nested spans
 * just cover more pieces), so the text renders as a flat list of pieces.
 */
export function segments(
  n: number,
  spans: readonly Span[],
  cursor: Token | null = null,
  selection: Token | null = null,
): Segment[] {
  const cuts = new Set([0, n]);
  for (const r of [...spans, cursor, selection]) {
    if (!r) continue;
    cuts.add(clamp(r.start, 0, n));
    cuts.add(clamp(r.end, 0, n));
  }
  const at = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  const inside = (r: Token | null, a: number, b: number) => !!r && r.start <= a && b <= r.end;
  for (let k = 0; k + 1 < at.length; k++) {
    const [a, b] = [at[k], at[k + 1]];
    const covering: number[] = [];
    spans.forEach((s, i) => {
      if (s.start <= a && b <= s.end) covering.push(i);
    });
    out.push({
      start: a,
      end: b,
      spans: covering,
      cursor: inside(cursor, a, b),
      selected: inside(selection, a, b),
    });
  }
  return out;
}
