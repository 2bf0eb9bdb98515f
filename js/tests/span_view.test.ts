import { afterEach, describe, expect, it, vi } from "vitest";
import {
  build_span_panel,
  build_span_text,
  point_offset,
  range_offsets,
  type SpanHandlers,
  selection_in,
} from "../src/span_view";
import { index_text, type SpanWork, tokenize } from "../src/spans";

const TEXT = "😀 at 7 pm, for 4";
const ix = index_text(TEXT);
const tokens = tokenize(ix);
const types = ["time", "people"];
const type_index = (t: string) => types.indexOf(t);

function handlers(): SpanHandlers {
  return { select: vi.fn(), click: vi.fn(), pick: vi.fn(), remove: vi.fn(), clear: vi.fn() };
}
function work(extra: Partial<SpanWork> = {}): SpanWork {
  return { spans: [], cursor: null, anchor: null, selected: null, note: "", ...extra };
}
function mounted(node: HTMLElement) {
  document.body.append(node);
  return node;
}
/** The text node and offset at UTF-16 offset `at` of `el`'s text. */
function point(el: Node, at: number): [Node, number] {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let pos = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const n = (node.textContent ?? "").length;
    if (at <= pos + n) return [node, at - pos];
    pos += n;
  }
  throw new Error(`no offset ${at}`);
}

afterEach(() => {
  document.body.textContent = "";
  document.getSelection()?.removeAllRanges();
});

describe("DOM ranges to offsets", () => {
  it("maps text points and element points inside pieces to UTF-16 offsets", () => {
    const el = mounted(document.createElement("div"));
    el.innerHTML = "ab<mark>c<span>de</span></mark>f";
    const range = document.createRange();
    range.setStart(...point(el, 1));
    range.setEnd(...point(el, 4));

    expect(range_offsets(el, range)).toEqual([1, 4]);
    expect(point_offset(el, el, 0)).toBe(0);
    expect(point_offset(el, el, 2)).toBe(5); // after the mark: "ab" + "cde"
    expect(point_offset(el, el.querySelector("mark") as Node, 1)).toBe(3);
    expect(point_offset(el, document.body, 0)).toBeNull();
  });

  it("clips a range that reaches outside, and ignores one that does not touch", () => {
    const before = mounted(document.createElement("p"));
    before.textContent = "before";
    const el = mounted(document.createElement("div"));
    el.textContent = "inside";
    const after = mounted(document.createElement("p"));
    after.textContent = "after";
    const range = document.createRange();
    range.setStart(before.firstChild as Node, 2);
    range.setEnd(el.firstChild as Node, 3);
    expect(range_offsets(el, range)).toEqual([0, 3]);
    range.setEnd(after.firstChild as Node, 1);
    expect(range_offsets(el, range)).toEqual([0, 6]);
    range.setStart(after.firstChild as Node, 0);
    expect(range_offsets(el, range)).toBeNull();
    range.setStart(el.firstChild as Node, 2);
    range.setEnd(el.firstChild as Node, 2);
    expect(range_offsets(el, range)).toBeNull(); // collapsed
  });

  it("reads the page's selection as code points, an emoji counting one", () => {
    const el = mounted(build_span_text(document, ix, tokens, work(), type_index, handlers()));
    const range = document.createRange();
    range.setStart(...point(el, 3)); // UTF-16 3 = after "😀 "
    range.setEnd(...point(el, 5));
    document.getSelection()?.addRange(range);

    expect(selection_in(el, ix)).toEqual([2, 4]); // "at"
    document.getSelection()?.removeAllRanges();
    expect(selection_in(el, ix)).toBeNull();
  });

  it("rounds a selection that cuts an emoji in half outward", () => {
    const el = mounted(build_span_text(document, ix, tokens, work(), type_index, handlers()));
    const range = document.createRange();
    range.setStart(...point(el, 1));
    range.setEnd(...point(el, 2));
    document.getSelection()?.addRange(range);

    expect(selection_in(el, ix)).toEqual([0, 1]);
  });
});

describe("the span text", () => {
  const spans = [
    { start: 2, end: 9, type: "time", origin: "model" as const },
    { start: 5, end: 9, type: "people", origin: "you" as const },
  ];

  it("holds exactly the text, cut into marks by the spans", () => {
    const el = build_span_text(document, ix, tokens, work({ spans }), type_index, handlers());
    const marks = [...el.querySelectorAll<HTMLElement>('[data-testid="jal-span-mark"]')];

    expect(el.textContent).toBe(TEXT);
    expect(el.dataset.testid).toBe("jal-span-text");
    expect(el.dir).toBe("auto");
    expect(marks.map((m) => [m.textContent, m.dataset.types, m.dataset.origin])).toEqual([
      ["at ", "time", "model"],
      ["7 pm", "time people", "you"],
    ]);
    expect(marks[1].classList.contains("jal-type-1")).toBe(true); // the innermost span's type
    expect(marks.map((m) => m.dataset.start)).toEqual(["2", "5"]);
  });

  it("shows the token cursor once and the selection", () => {
    // the cursor on "at" (token 1), the selection "at 7" (tokens 1..2); a span cuts "at"
    const cut = [{ start: 3, end: 4, type: "time", origin: "you" as const }];
    const el = build_span_text(
      document,
      ix,
      tokens,
      work({ spans: cut, cursor: 1, anchor: 2 }),
      type_index,
      handlers(),
    );

    expect(el.querySelectorAll('[data-testid="jal-token-cursor"]')).toHaveLength(1);
    expect(el.querySelector('[data-testid="jal-token-cursor"]')?.textContent).toBe("a");
    expect([...el.querySelectorAll(".jal-cursor")].map((n) => n.textContent)).toEqual(["a", "t"]);
    expect([...el.querySelectorAll(".jal-selecting")].map((n) => n.textContent).join("")).toBe(
      "at 7",
    );
    expect(el.textContent).toBe(TEXT);
  });

  it("a drag reports code points; a click on a mark reports a point inside it", () => {
    const on = handlers();
    const el = mounted(build_span_text(document, ix, tokens, work({ spans }), type_index, on));
    const range = document.createRange();
    range.setStart(...point(el, 3));
    range.setEnd(...point(el, 10));
    document.getSelection()?.addRange(range);
    el.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));

    expect(on.select).toHaveBeenCalledWith(2, 9);
    expect(document.getSelection()?.rangeCount).toBe(0); // the view shows it from now on
    el.querySelectorAll("mark")[1].dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
    expect(on.click).toHaveBeenCalledWith(5);
  });
});

describe("the span panel", () => {
  it("lists each span as a chip with its offsets, type, origin and a remove button", () => {
    const on = handlers();
    const spans = [
      { start: 2, end: 4, type: "time", origin: "model" as const },
      { start: 15, end: 16, type: "people", origin: "you" as const },
    ];
    const panel = build_span_panel(
      document,
      ix,
      work({ spans, selected: 1 }),
      type_index,
      "a note",
      on,
      false,
    );
    const chips = [...panel.querySelectorAll<HTMLElement>('[data-testid="jal-span"]')];

    expect(
      chips.map((c) => [c.dataset.start, c.dataset.end, c.dataset.type, c.dataset.origin]),
    ).toEqual([
      ["2", "4", "time", "model"],
      ["15", "16", "people", "you"],
    ]);
    expect(chips.map((c) => c.querySelector(".jal-chip-text")?.textContent)).toEqual(["at", "4"]);
    expect(chips.map((c) => c.getAttribute("aria-selected"))).toEqual(["false", "true"]);
    expect(panel.querySelector(".jal-span-count")?.textContent).toBe("2 spans (1 proposed)");
    expect(panel.querySelector('[data-testid="jal-span-note"]')?.textContent).toBe("a note");
    const remove = chips[0].querySelector('[data-testid="jal-span-remove"]') as HTMLButtonElement;
    expect(remove.getAttribute("aria-label")).toBe("remove time “at”");
    remove.click();
    expect(on.remove).toHaveBeenCalledWith(0);
    expect(on.pick).not.toHaveBeenCalled();
    chips[1].click();
    expect(on.pick).toHaveBeenCalledWith(1);
    (panel.querySelector('[data-testid="jal-spans-clear"]') as HTMLButtonElement).click();
    expect(on.clear).toHaveBeenCalled();
  });

  it("disables the buttons while Python trains, and clear when there is nothing", () => {
    const spans = [{ start: 2, end: 4, type: "time", origin: "you" as const }];
    const busy = build_span_panel(document, ix, work({ spans }), type_index, "", handlers(), true);
    const none = build_span_panel(document, ix, work(), type_index, "", handlers(), false);

    expect(busy.querySelector<HTMLButtonElement>('[data-testid="jal-span-remove"]')?.disabled).toBe(
      true,
    );
    expect(none.querySelector<HTMLButtonElement>('[data-testid="jal-spans-clear"]')?.disabled).toBe(
      true,
    );
    expect(none.querySelector(".jal-span-count")?.textContent).toBe("no spans");
  });
});
