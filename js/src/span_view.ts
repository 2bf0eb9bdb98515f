/**
 * The extraction view's DOM (its logic is spans.ts): the text with the spans' marks, the token
 * cursor and the selection, and below it the list of spans as chips.
 *
 * The text element (`jal-span-text`) holds the item's text and nothing else, cut into pieces
 * at every span boundary (spans.ts `segments`): a piece covered by spans is a `jal-span-mark`,
 * so overlapping and nested spans need no nesting of elements. Each span is one chip
 * (`jal-span`, with its offsets, type and origin) with a remove button. Text reaches the DOM
 * through textContent only.
 */
import {
  type SpanWork,
  segments,
  selected_tokens,
  slice_cp,
  type TextIndex,
  type Token,
  u16_to_cp,
} from "./spans";

export interface SpanHandlers {
  /** The mouse selected code points [start, end) of the text. */
  select(start: number, end: number): void;
  /** A click without a drag at code point `at`. */
  click(at: number): void;
  /** A chip was clicked: select span `i`. */
  pick(i: number): void;
  /** A chip's remove button. */
  remove(i: number): void;
  /** The clear button. */
  clear(): void;
}

// ------------------------------------------------------------------ DOM ranges -> offsets

/** The UTF-16 offset of a DOM point within `el`'s text, or null when it is not inside `el`. */
export function point_offset(el: Node, node: Node, offset: number): number | null {
  if (node !== el && !el.contains(node)) return null;
  const doc = el.ownerDocument as Document;
  const before = doc.createRange();
  before.selectNodeContents(el);
  before.setEnd(node, offset);
  return before.toString().length;
}

/**
 * The part of a DOM range inside `el`, as UTF-16 offsets into `el`'s text [start, end), or
 * null when none of it is inside (a range reaching past `el` is clipped to it).
 */
export function range_offsets(el: Node, range: Range): [number, number] | null {
  const doc = el.ownerDocument as Document;
  const all = doc.createRange();
  all.selectNodeContents(el);
  let s: number;
  let e: number;
  try {
    s = all.comparePoint(range.startContainer, range.startOffset);
    e = all.comparePoint(range.endContainer, range.endOffset);
  } catch {
    return null; // another document or a detached node
  }
  const length = all.toString().length;
  const start =
    s < 0 ? 0 : s > 0 ? length : point_offset(el, range.startContainer, range.startOffset);
  const end = e < 0 ? 0 : e > 0 ? length : point_offset(el, range.endContainer, range.endOffset);
  if (start === null || end === null || start >= end) return null;
  return [start, end];
}

/** The page's selection inside `el` as code points [start, end), or null (none, collapsed). */
export function selection_in(el: HTMLElement, ix: TextIndex): [number, number] | null {
  const sel = el.ownerDocument.getSelection();
  if (!sel?.rangeCount || sel.isCollapsed) return null;
  const off = range_offsets(el, sel.getRangeAt(0));
  if (!off) return null;
  const start = u16_to_cp(ix, off[0], "down");
  const end = u16_to_cp(ix, off[1], "up");
  return start < end ? [start, end] : null;
}

// ------------------------------------------------------------------ builders

/** The color class of a span type (its position in the schema, 8 colors round). */
export type TypeIndex = (type: string) => number;
const type_class = (i: number) => `jal-type-${i < 0 ? "x" : i % 8}`;

/** The text with its spans marked, the token cursor and the selection. */
export function build_span_text(
  doc: Document,
  ix: TextIndex,
  tokens: readonly Token[],
  work: SpanWork,
  type_index: TypeIndex,
  on: SpanHandlers,
): HTMLElement {
  const el = doc.createElement("div");
  el.className = "jal-text jal-span-text";
  el.dataset.testid = "jal-span-text";
  el.dir = "auto";
  const cursor = work.cursor === null ? null : (tokens[work.cursor] ?? null);
  const sel = work.anchor === null ? null : selected_tokens(work);
  const selection =
    sel && tokens[sel[0]] && tokens[sel[1]]
      ? { start: tokens[sel[0]].start, end: tokens[sel[1]].end }
      : null;
  let cursor_shown = false;
  for (const seg of segments(ix.n, work.spans, cursor, selection)) {
    let piece: Node = doc.createTextNode(slice_cp(ix, seg.start, seg.end));
    let outer: HTMLElement | null = null;
    if (seg.cursor || seg.selected) {
      outer = doc.createElement("span");
      outer.append(piece);
      outer.classList.toggle("jal-cursor", seg.cursor);
      outer.classList.toggle("jal-selecting", seg.selected);
      if (seg.cursor && !cursor_shown) {
        outer.dataset.testid = "jal-token-cursor"; // one per cursor, even when spans cut it
        cursor_shown = true;
      }
      piece = outer;
    }
    if (seg.spans.length) {
      const mark = doc.createElement("mark");
      mark.dataset.testid = "jal-span-mark";
      // the innermost (shortest) span gives the color; the depth tells how many cover it
      const spans = seg.spans.map((i) => work.spans[i]);
      const inner = spans.reduce((a, b) => (b.end - b.start < a.end - a.start ? b : a));
      mark.className = `jal-mark ${type_class(type_index(inner.type))}`;
      mark.dataset.types = spans.map((s) => s.type).join(" ");
      mark.dataset.depth = String(spans.length);
      mark.dataset.origin = spans.every((s) => s.origin === "model") ? "model" : "you";
      if (work.selected !== null && seg.spans.includes(work.selected)) {
        mark.classList.add("jal-selected");
      }
      mark.title = spans.map((s) => s.type).join(", ");
      mark.append(piece);
      piece = outer = mark;
    }
    if (outer) outer.dataset.start = String(seg.start);
    el.append(piece);
  }
  el.addEventListener("mouseup", (e) => {
    const drag = selection_in(el, ix);
    if (drag) {
      el.ownerDocument.getSelection()?.removeAllRanges(); // the view now shows it (snapped)
      on.select(drag[0], drag[1]);
      return;
    }
    on.click(click_offset(el, ix, e.target));
  });
  return el;
}

/** Where a click (no drag) landed: inside the clicked mark, else at the caret, else 0. */
function click_offset(el: HTMLElement, ix: TextIndex, target: EventTarget | null): number {
  const node = target as Element | null;
  const mark = node?.closest?.("mark[data-start]");
  if (mark && el.contains(mark)) return Number((mark as HTMLElement).dataset.start);
  const sel = el.ownerDocument.getSelection();
  if (sel?.rangeCount) {
    const r = sel.getRangeAt(0);
    const at = point_offset(el, r.startContainer, r.startOffset);
    if (at !== null) return u16_to_cp(ix, at, "down");
  }
  const piece = node?.closest?.("[data-start]");
  return piece && el.contains(piece) ? Number((piece as HTMLElement).dataset.start) : 0;
}

/** The spans as chips (type, covered text, remove), a clear button and the note line. */
export function build_span_panel(
  doc: Document,
  ix: TextIndex,
  work: SpanWork,
  type_index: TypeIndex,
  note: string,
  on: SpanHandlers,
  disabled: boolean,
): HTMLElement {
  const panel = doc.createElement("div");
  panel.className = "jal-span-panel";
  const list = doc.createElement("ul");
  list.className = "jal-span-list";
  list.setAttribute("aria-label", "spans");
  work.spans.forEach((s, i) => {
    const chip = doc.createElement("li");
    chip.className = `jal-chip ${type_class(type_index(s.type))}`;
    chip.dataset.testid = "jal-span";
    chip.dataset.start = String(s.start);
    chip.dataset.end = String(s.end);
    chip.dataset.type = s.type;
    chip.dataset.origin = s.origin;
    const on_it = work.selected === i;
    chip.classList.toggle("jal-selected", on_it);
    chip.setAttribute("aria-selected", String(on_it));
    chip.title = s.origin === "model" ? "proposed by the model: confirm keeps it" : "your span";
    const type = doc.createElement("span");
    type.className = "jal-chip-type";
    type.textContent = s.type;
    const covered = doc.createElement("span");
    covered.className = "jal-chip-text";
    covered.dir = "auto";
    covered.textContent = slice_cp(ix, s.start, s.end);
    const remove = doc.createElement("button");
    remove.type = "button";
    remove.className = "jal-chip-remove";
    remove.dataset.testid = "jal-span-remove";
    remove.textContent = "×";
    remove.disabled = disabled;
    remove.setAttribute("aria-label", `remove ${s.type} “${covered.textContent}”`);
    // the click goes on up to the root, which takes the focus back (the button is redrawn)
    remove.addEventListener("click", () => on.remove(i));
    chip.addEventListener("click", (e) => {
      if (!(e.target as Element | null)?.closest?.(".jal-chip-remove")) on.pick(i);
    });
    chip.append(type, covered, remove);
    list.append(chip);
  });
  const tools = doc.createElement("div");
  tools.className = "jal-span-tools";
  const count = doc.createElement("span");
  count.className = "jal-span-count";
  const n = work.spans.length;
  const proposed = work.spans.filter((s) => s.origin === "model").length;
  count.textContent = `${n ? `${n} span${n === 1 ? "" : "s"}` : "no spans"}${proposed ? ` (${proposed} proposed)` : ""}`;
  const clear = doc.createElement("button");
  clear.type = "button";
  clear.className = "jal-button jal-spans-clear";
  clear.dataset.testid = "jal-spans-clear";
  clear.textContent = "clear spans";
  clear.setAttribute("aria-label", "remove every span (then confirm: this text has none)");
  clear.disabled = disabled || n === 0;
  clear.addEventListener("click", () => on.clear());
  const line = doc.createElement("div");
  line.className = "jal-span-note";
  line.dataset.testid = "jal-span-note";
  line.setAttribute("role", "status");
  line.setAttribute("aria-live", "polite");
  line.dir = "auto";
  line.textContent = note;
  tools.append(count, clear);
  panel.append(list, tools, line);
  return panel;
}
