// The labeling view of the other tasks: extraction (spans by mouse and keyboard), ranking (a
// query and grades), regression (a typed number), and prediction units in their context.
import { afterEach, describe, expect, it, vi } from "vitest";

vi.mock("../src/plot", () => ({
  draw: vi.fn(async () => {}),
  resize: vi.fn(),
  purge: vi.fn(),
}));

import type { ClassSpec, Item, Traits } from "../src/types";
import { item, mount } from "./fake_model";

let mounted: ReturnType<typeof mount>[] = [];
function view(init: Partial<Traits>) {
  const v = mount(init);
  mounted.push(v);
  return v;
}

afterEach(() => {
  for (const v of mounted) {
    v.cleanup();
    v.el.remove();
  }
  mounted = [];
  document.getSelection()?.removeAllRanges();
});

type View = ReturnType<typeof view>;
const all = (v: View, testid: string) => [
  ...v.el.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`),
];
const selecting = (v: View) =>
  [...v.el.querySelectorAll(".jal-selecting")].map((n) => n.textContent).join("");
const spans_of = (v: View) =>
  all(v, "jal-span").map((s) => [
    Number(s.dataset.start),
    Number(s.dataset.end),
    s.dataset.type,
    s.dataset.origin,
  ]);

// ------------------------------------------------------------------ extraction

const TYPES: ClassSpec[] = [
  { name: "time", key: "1", description: "when" },
  { name: "people", key: "2", description: "how many" },
];
const TEXT = "a table for 4 people at 7 pm please";

function extraction(items: Item[], extra: Partial<Traits> = {}) {
  return view({ task: "extraction", classes: TYPES, items, ...extra });
}
const utterance = (id: string, extra: Partial<Item> = {}) =>
  item(id, { text: TEXT, prediction: null, confidence: null, ...extra });

/** Select UTF-16 offsets [start, end) of the text element's text, as a drag does. */
function drag(v: View, start: number, end: number, fire = true) {
  const root = v.q('[data-testid="jal-span-text"]') as HTMLElement;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let pos = 0;
  let a: [Node, number] | null = null;
  let b: [Node, number] | null = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const n = (node.textContent ?? "").length;
    if (!a && start < pos + n) a = [node, start - pos];
    if (!b && end <= pos + n) {
      b = [node, end - pos];
      break;
    }
    pos += n;
  }
  const range = document.createRange();
  range.setStart(...(a as [Node, number]));
  range.setEnd(...(b as [Node, number]));
  const sel = document.getSelection() as Selection;
  sel.removeAllRanges();
  sel.addRange(range);
  if (fire) root.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
}

describe("extraction: the view", () => {
  it("shows the text whole, type buttons, confirm, clear and no spans yet", () => {
    const v = extraction([utterance("u1"), utterance("u2")]);

    expect(v.text("jal-example")).toBe(TEXT);
    expect(v.text("jal-span-text")).toBe(TEXT);
    expect(all(v, "jal-label-button").map((b) => b.dataset.label)).toEqual(["time", "people"]);
    expect(all(v, "jal-label-button")[1].getAttribute("aria-label")).toBe(
      "span type people (key 2)",
    );
    expect(v.q('[data-testid="jal-confirm"]')?.hidden).toBe(false);
    expect(v.q<HTMLButtonElement>('[data-testid="jal-spans-clear"]')?.disabled).toBe(true);
    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.text("jal-prediction")).toBe("—");
  });

  it("starts from the model's proposed spans, marked as the model's", () => {
    const v = extraction([
      utterance("u1", {
        prediction: [
          { start: 24, end: 28, type: "time" },
          { start: 12, end: 13, type: "people" },
        ],
      }),
    ]);

    expect(spans_of(v)).toEqual([
      [12, 13, "people", "model"],
      [24, 28, "time", "model"],
    ]);
    expect(all(v, "jal-span-mark").map((m) => [m.textContent, m.dataset.types])).toEqual([
      ["4", "people"],
      ["7 pm", "time"],
    ]);
    expect(v.text("jal-prediction")).toBe("people “4” · time “7 pm”");
    expect(v.text("jal-span-text")).toBe(TEXT); // the marks add no text
  });

  it("starts from the label of a labeled item (yours), and [] means no spans", () => {
    const v = extraction([
      utterance("u1", {
        status: "labeled",
        label: [{ start: 24, end: 28, type: "time" }],
        prediction: [{ start: 12, end: 13, type: "people" }],
      }),
      utterance("u2", {
        status: "labeled",
        label: [],
        prediction: [{ start: 0, end: 1, type: "x" }],
      }),
    ]);
    v.click('[data-testid="jal-prev"]'); // all labeled: the view shows none until moved
    v.click('[data-testid="jal-next"]');

    expect(v.shown()).toBe("u2");
    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.text("jal-your-label")).toBe("no spans");
    v.click('[data-testid="jal-prev"]');
    expect(spans_of(v)).toEqual([[24, 28, "time", "you"]]);
    expect(v.text("jal-your-label")).toBe("time “7 pm”");
  });

  it("does not propose the model's spans while the prediction is hidden", () => {
    const v = extraction(
      [utterance("u1", { prediction: [{ start: 24, end: 28, type: "time" }] })],
      { hide_prediction: true },
    );

    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.text("jal-prediction")).toBe("hidden until you label");
  });

  it("renders overlapping spans as pieces, each span one chip", () => {
    const v = extraction(
      [
        utterance("u1", {
          prediction: [
            { start: 12, end: 20, type: "people" },
            { start: 14, end: 23, type: "time" },
          ],
        }),
      ],
      { span_overlap: "allow" },
    );
    const marks = all(v, "jal-span-mark");

    expect(marks.map((m) => [m.textContent, m.dataset.types, m.dataset.depth])).toEqual([
      ["4 ", "people", "1"],
      ["people", "people time", "2"],
      [" at", "time", "1"],
    ]);
    expect(all(v, "jal-span").map((c) => c.querySelector(".jal-chip-text")?.textContent)).toEqual([
      "4 people",
      "people at",
    ]);
  });

  it("counts offsets in code points: an emoji before a span", () => {
    const text = "😀😀 table for 4 people";
    const v = extraction([
      utterance("e1", { text, prediction: [{ start: 13, end: 21, type: "people" }] }),
    ]);

    expect(v.q('[data-testid="jal-span"] .jal-chip-text')?.textContent).toBe("4 people");
    expect(v.q('[data-testid="jal-span-mark"]')?.textContent).toBe("4 people");
    // select "table" by UTF-16 offsets (5..10): it is code points 3..8
    drag(v, 5, 10);
    v.click('[data-testid="jal-label-button"][data-label="time"]');
    v.click('[data-testid="jal-confirm"]');

    expect(v.model.sent[0]).toMatchObject({
      kind: "label",
      item_id: "e1",
      label: [
        { start: 3, end: 8, type: "time" },
        { start: 13, end: 21, type: "people" },
      ],
    });
  });

  it("keeps hostile text as text in marks and chips", () => {
    const evil = "<img src=x onerror=alert(1)> hi";
    const v = extraction([
      utterance("x", { text: evil, prediction: [{ start: 0, end: 4, type: "time" }] }),
    ]);

    expect(v.el.querySelector("img")).toBeNull();
    expect(v.text("jal-span-text")).toBe(evil);
    expect(v.q(".jal-chip-text")?.textContent).toBe("<img");
  });
});

describe("extraction: the mouse", () => {
  it("a drag and a type button add a span, snapped to whole tokens; confirm sends", () => {
    const v = extraction([utterance("u1"), utterance("u2")]);
    drag(v, 25, 27); // " p" inside "7 pm" -> "pm"
    expect(selecting(v)).toBe("pm");
    drag(v, 23, 26); // " 7 " -> "7"
    v.click('[data-testid="jal-label-button"][data-label="time"]');
    expect(spans_of(v)).toEqual([[24, 25, "time", "you"]]);
    drag(v, 13, 18); // " peop" -> "people"
    v.click('[data-testid="jal-label-button"][data-label="people"]');

    expect(spans_of(v)).toEqual([
      [14, 20, "people", "you"],
      [24, 25, "time", "you"],
    ]);
    v.click('[data-testid="jal-confirm"]');
    expect(v.model.sent).toEqual([
      {
        kind: "label",
        item_id: "u1",
        label: [
          { start: 14, end: 20, type: "people" },
          { start: 24, end: 25, type: "time" },
        ],
        source: "click",
        t: expect.any(Number),
      },
    ]);
    expect(v.shown()).toBe("u2");
    expect(all(v, "jal-span")).toHaveLength(0);
  });

  it("takes the page's selection at the button even without a mouseup in the text", () => {
    const v = extraction([utterance("u1")]);
    drag(v, 12, 20, false); // "4 people", the drag ended outside the text

    v.click('[data-testid="jal-label-button"][data-label="people"]');
    expect(spans_of(v)).toEqual([[12, 20, "people", "you"]]);
  });

  it("takes a drag that ends elsewhere in the widget", () => {
    const v = extraction([utterance("u1")]);
    drag(v, 12, 20, false);
    v.q(".jal-labels")?.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));

    expect(selecting(v)).toBe("4 people");
    expect(document.getSelection()?.rangeCount).toBe(0);
  });

  it("clicking a mark selects its span; a type retypes it; Delete removes it", () => {
    const v = extraction([
      utterance("u1", { prediction: [{ start: 24, end: 28, type: "people" }] }),
    ]);
    const mark = v.q('[data-testid="jal-span-mark"]') as HTMLElement;
    mark.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));

    expect(v.q('[data-testid="jal-span"]')?.getAttribute("aria-selected")).toBe("true");
    expect(v.q('[data-testid="jal-span-mark"]')?.classList.contains("jal-selected")).toBe(true);
    expect(v.text("jal-span-note")).toBe("people “7 pm”: a type changes it, Delete removes it");
    v.click('[data-testid="jal-label-button"][data-label="time"]');
    expect(spans_of(v)).toEqual([[24, 28, "time", "you"]]);
    expect(v.text("jal-span-note")).toBe("people “7 pm” is now time");
    v.key("Delete");
    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.model.sent).toEqual([]);
  });

  it("a chip selects its span; its remove button removes it; clear removes all", () => {
    const v = extraction([
      utterance("u1", {
        prediction: [
          { start: 12, end: 13, type: "people" },
          { start: 24, end: 28, type: "time" },
        ],
      }),
    ]);
    (all(v, "jal-span")[1] as HTMLElement).click();
    expect(all(v, "jal-span")[1].getAttribute("aria-selected")).toBe("true");
    (all(v, "jal-span-remove")[0] as HTMLButtonElement).click();
    expect(spans_of(v)).toEqual([[24, 28, "time", "model"]]);
    expect(document.activeElement).toBe(v.root); // the keys keep working
    expect(v.text("jal-span-note")).toBe("removed people “4”");
    v.click('[data-testid="jal-spans-clear"]');
    expect(all(v, "jal-span")).toHaveLength(0);
    v.key("Enter");

    expect(v.model.sent[0]).toMatchObject({
      kind: "label",
      item_id: "u1",
      label: [],
      source: "key",
    });
  });

  it("a click on plain text puts the token cursor there", () => {
    const v = extraction([utterance("u1")]);
    const text = v.q('[data-testid="jal-span-text"]') as HTMLElement;
    const range = document.createRange();
    range.setStart(text.firstChild as Node, 15); // inside "people"
    range.collapse(true);
    document.getSelection()?.removeAllRanges();
    document.getSelection()?.addRange(range);
    text.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));

    expect(v.text("jal-token-cursor")).toBe("people");
  });

  it("follows the overlap rule: forbid replaces, nested refuses a crossing span", () => {
    const forbid = extraction([
      utterance("u1", { prediction: [{ start: 24, end: 28, type: "time" }] }),
    ]);
    drag(forbid, 21, 25); // "at 7"
    forbid.click('[data-testid="jal-label-button"][data-label="people"]');
    expect(spans_of(forbid)).toEqual([[21, 25, "people", "you"]]);
    expect(forbid.text("jal-span-note")).toBe(
      "people “at 7” replaced time “7 pm” (spans may not overlap)",
    );

    const nested = extraction(
      [utterance("u1", { prediction: [{ start: 24, end: 28, type: "time" }] })],
      { span_overlap: "nested" },
    );
    drag(nested, 21, 25);
    nested.click('[data-testid="jal-label-button"][data-label="people"]');
    expect(spans_of(nested)).toEqual([[24, 28, "time", "model"]]);
    expect(nested.text("jal-span-note")).toMatch(/^not added: .* crosses time “7 pm”/);
    drag(nested, 24, 25); // "7", inside the time span: nesting is fine
    nested.click('[data-testid="jal-label-button"][data-label="people"]');
    expect(spans_of(nested)).toHaveLength(2);
  });
});

describe("extraction: the keyboard", () => {
  it("arrows move the token cursor, shift extends, a type key adds, Enter sends", () => {
    const v = extraction([utterance("u1"), utterance("u2")]);
    for (let k = 0; k < 4; k++) v.key("ArrowRight");

    expect(all(v, "jal-token-cursor")).toHaveLength(1);
    expect(v.text("jal-token-cursor")).toBe("4");
    expect(v.shown()).toBe("u1"); // arrows move the cursor, not between items
    const ev = v.key("ArrowRight", { shiftKey: true });
    expect(ev.defaultPrevented).toBe(true);
    expect(v.text("jal-span-note")).toBe("selected “4 people”: press a type's key or click a type");
    v.key("2");
    expect(spans_of(v)).toEqual([[12, 20, "people", "you"]]);
    v.key("Enter");

    expect(v.model.sent).toEqual([
      {
        kind: "label",
        item_id: "u1",
        label: [{ start: 12, end: 20, type: "people" }],
        source: "key",
        t: expect.any(Number),
      },
    ]);
    expect(v.shown()).toBe("u2");
    expect(all(v, "jal-token-cursor")).toHaveLength(0); // a new item: no cursor yet
  });

  it("Tab cycles the spans, a type key retypes, Delete removes, Escape clears", () => {
    const v = extraction([
      utterance("u1", {
        prediction: [
          { start: 12, end: 13, type: "people" },
          { start: 24, end: 28, type: "people" },
        ],
      }),
    ]);
    const selected = () => all(v, "jal-span").map((c) => c.getAttribute("aria-selected"));

    expect(v.key("Tab").defaultPrevented).toBe(true);
    expect(selected()).toEqual(["true", "false"]);
    v.key("Tab");
    expect(selected()).toEqual(["false", "true"]);
    v.key("1");
    expect(spans_of(v)).toEqual([
      [12, 13, "people", "model"],
      [24, 28, "time", "you"],
    ]);
    v.key("Tab", { shiftKey: true });
    expect(selected()).toEqual(["true", "false"]);
    v.key("Backspace"); // removes the span, never undoes
    expect(spans_of(v)).toEqual([[24, 28, "time", "you"]]);
    expect(v.model.sent).toEqual([]);
    // nothing selected: Backspace is not ours (u undoes)
    expect(v.key("Backspace").defaultPrevented).toBe(false);
    v.key("Tab");
    // past the last span Tab is not ours: focus may leave the widget
    expect(v.key("Tab").defaultPrevented).toBe(false);
    v.key("ArrowRight");
    v.key("ArrowRight", { shiftKey: true });
    expect(v.q(".jal-selecting")).not.toBeNull();
    v.key("Escape");
    expect(v.q(".jal-selecting")).toBeNull();
    expect(all(v, "jal-token-cursor")).toHaveLength(1);
    v.key("Escape");
    expect(all(v, "jal-token-cursor")).toHaveLength(0);
    expect(v.key("Escape").defaultPrevented).toBe(false); // nothing left to clear
  });

  it("a type key with nothing selected says how to select", () => {
    const v = extraction([utterance("u1")]);
    v.key("1");

    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.text("jal-span-note")).toMatch(/^select some text first/);
  });

  it("skip, undo and moving between items work as in the other tasks", () => {
    const v = extraction([utterance("u1"), utterance("u2")]);
    v.key("ArrowRight");
    v.key("1");
    v.key("s");

    expect(v.model.sent.map((m) => m.kind)).toEqual(["skip"]);
    expect(v.shown()).toBe("u2");
    v.key("u");
    expect(v.shown()).toBe("u1");
    expect(all(v, "jal-span")).toHaveLength(0); // the edits before a skip are not kept
    v.click('[data-testid="jal-next"]');
    expect(v.shown()).toBe("u2");
  });

  it("keeps a working set per item while moving between items", () => {
    const v = extraction([utterance("u1"), utterance("u2")]);
    v.key("ArrowRight");
    v.key("1");
    v.click('[data-testid="jal-next"]');
    expect(all(v, "jal-span")).toHaveLength(0);
    v.click('[data-testid="jal-prev"]');

    expect(spans_of(v)).toEqual([[0, 1, "time", "you"]]);
  });

  it("does not edit or send while Python trains", () => {
    const v = extraction([utterance("u1")], { status: "training" });
    v.key("ArrowRight");
    v.key("1");
    v.key("Enter");

    expect(all(v, "jal-span")).toHaveLength(0);
    expect(v.model.sent).toEqual([]);
  });

  it("sends a labeled item's spans again when it is confirmed again", () => {
    const label = [{ start: 24, end: 28, type: "time" }];
    const v = extraction([utterance("u1", { status: "labeled", label }), utterance("u2")]);
    v.click('[data-testid="jal-prev"]');
    v.click('[data-testid="jal-confirm"]');

    expect(v.model.sent[0]).toMatchObject({ item_id: "u1", label });
  });
});

// ------------------------------------------------------------------ ranking

const GRADES: ClassSpec[] = [
  { name: "bad", key: "1", description: "not relevant", value: 0 },
  { name: "fair", key: "2", description: "", value: 1 },
  { name: "good", key: "3", description: "", value: 2 },
];

describe("ranking", () => {
  const pair = (id: string, extra: Partial<Item> = {}) =>
    item(id, {
      query: "cheap flights to rome",
      text: `document ${id}`,
      prediction: "fair",
      ...extra,
    });

  it("shows the query above the document, as text", () => {
    const v = view({ task: "ranking", classes: GRADES, items: [pair("p1")] });

    expect(v.text("jal-query")).toBe("cheap flights to rome");
    expect(v.text("jal-example")).toBe("document p1");
    const query = v.q('[data-testid="jal-query"]') as HTMLElement;
    const example = v.q('[data-testid="jal-example"]') as HTMLElement;
    expect(query.compareDocumentPosition(example) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(v.text("jal-prediction")).toBe("fair");
    expect(all(v, "jal-label-button")[0].getAttribute("aria-label")).toBe("grade bad (key 1)");
  });

  it("grades by button or key and sends the grade's name", () => {
    const v = view({ task: "ranking", classes: GRADES, items: [pair("p1"), pair("p2")] });
    v.click('[data-testid="jal-label-button"][data-label="good"]');
    v.key("1");

    expect(v.model.sent.map((m) => [m.item_id, m.label, m.source])).toEqual([
      ["p1", "good", "click"],
      ["p2", "bad", "key"],
    ]);
    v.key("ArrowLeft");
    expect(v.text("jal-your-label")).toBe("bad");
    expect(v.q('[data-label="bad"]')?.classList.contains("jal-on")).toBe(true);
  });

  it("keeps hostile queries as text and hides the query row without one", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const v = view({
      task: "ranking",
      classes: GRADES,
      items: [pair("p1", { query: evil }), item("x")],
    });

    expect(v.text("jal-query")).toBe(evil);
    expect(v.el.querySelector("img")).toBeNull();
    v.key("1");
    expect(v.q(".jal-query-row")?.hidden).toBe(true);
  });

  it("shows a numeric prediction as its grade's name", () => {
    const v = view({ task: "ranking", classes: GRADES, items: [pair("p1", { prediction: 2 })] });

    expect(v.text("jal-prediction")).toBe("good");
  });
});

// ------------------------------------------------------------------ regression

describe("regression", () => {
  const row = (id: string, extra: Partial<Item> = {}) =>
    item(id, { prediction: 3.2, interval: [2.1, 4.4], confidence: null, ...extra });
  const input = (v: View) => v.q('[data-testid="jal-number-input"]') as HTMLInputElement;
  function regression(items = [row("r1"), row("r2")], extra: Partial<Traits> = {}) {
    return view({ task: "regression", classes: [], items, ...extra });
  }

  it("shows the prediction with its interval and a number field, no label buttons", () => {
    const v = regression();

    expect(v.text("jal-prediction")).toBe("3.2 (2.1 – 4.4)");
    expect(all(v, "jal-label-button")).toHaveLength(0);
    expect(input(v).value).toBe(""); // the prediction is never prefilled
    expect(v.q('[data-testid="jal-number-submit"]')?.tagName).toBe("BUTTON");
    expect(v.q('[data-testid="jal-confirm"]')?.hidden).toBe(true);
  });

  it("Enter in the field sends the number, and the next item starts empty", () => {
    const v = regression();
    input(v).focus();
    input(v).value = " 3.75 ";
    const ev = v.key("Enter", {}, input(v));

    expect(ev.defaultPrevented).toBe(true);
    expect(v.model.sent).toEqual([
      { kind: "label", item_id: "r1", label: 3.75, source: "key", t: expect.any(Number) },
    ]);
    expect(v.shown()).toBe("r2");
    expect(input(v).value).toBe("");
    expect(document.activeElement).toBe(input(v)); // keep typing the next one
    v.click('[data-testid="jal-prev"]');
    expect(input(v).value).toBe("3.75");
    expect(v.text("jal-your-label")).toBe("3.75");
  });

  it("the button sends too (source click)", () => {
    const v = regression();
    input(v).value = "-1e3";
    v.click('[data-testid="jal-number-submit"]');

    expect(v.model.sent[0]).toMatchObject({ label: -1000, source: "click" });
  });

  it("refuses what is not a number, with an inline error, and sends nothing", () => {
    const v = regression();
    const error = () => v.q('[data-testid="jal-number-error"]') as HTMLElement;
    expect(error().hidden).toBe(true);
    for (const [typed, says] of [
      ["", "type a number"],
      ["abc", '"abc" is not a number'],
      ["Infinity", '"Infinity" is not a number'],
      ["1e999", '"1e999" is too large'],
      ["3,5", '"3,5": use a point for decimals and no thousands separator (3.5, 1200)'],
    ]) {
      input(v).value = typed;
      v.key("Enter", {}, input(v));
      expect(error().hidden).toBe(false);
      expect(error().textContent).toBe(says);
      expect(input(v).getAttribute("aria-invalid")).toBe("true");
    }
    expect(v.model.sent).toEqual([]);
    expect(v.shown()).toBe("r1");
    input(v).value = "4";
    input(v).dispatchEvent(new Event("input", { bubbles: true }));
    expect(error().hidden).toBe(true);
  });

  it("keys typed in the field are never hotkeys nor reach the notebook", () => {
    const v = regression();
    const outer = vi.fn();
    document.addEventListener("keydown", outer);
    input(v).focus();
    const typed = ["1", "s", "u", "?", "Backspace", "ArrowLeft", "ArrowRight", "-"].map((k) =>
      v.key(k, {}, input(v)),
    );
    const undo = v.key("z", { ctrlKey: true }, input(v)); // the field's own undo
    document.removeEventListener("keydown", outer);

    expect(typed.every((ev) => !ev.defaultPrevented)).toBe(true);
    expect(undo.defaultPrevented).toBe(false);
    expect(outer).not.toHaveBeenCalled();
    expect(v.model.sent).toEqual([]);
    expect(v.shown()).toBe("r1");
  });

  it("Escape leaves the field and the keys work again", () => {
    const v = regression();
    input(v).focus();
    v.key("Escape", {}, input(v));

    expect(document.activeElement).toBe(v.root);
    v.key("s");
    expect(v.model.sent[0]).toMatchObject({ kind: "skip", item_id: "r1" });
  });

  it("a number key on the widget goes to the field (and types there)", () => {
    const v = regression();
    const ev = v.key("7");

    expect(document.activeElement).toBe(input(v));
    expect(ev.defaultPrevented).toBe(false); // the browser types the 7 into the field
    expect(v.model.sent).toEqual([]);
  });

  it("does not send while Python trains", () => {
    const v = regression([row("r1")], { status: "training" });
    input(v).value = "2";
    v.key("Enter", {}, input(v));

    expect(v.model.sent).toEqual([]);
  });

  it("shows a prediction without an interval, and none", () => {
    const v = regression([row("r1", { interval: null }), row("r2", { prediction: null })]);

    expect(v.text("jal-prediction")).toBe("3.2");
    input(v).value = "1";
    v.key("Enter", {}, input(v));
    expect(v.text("jal-prediction")).toBe("—");
    expect(v.text("jal-last")).toBe("previous: 1 · model said 3.2");
  });
});

// ------------------------------------------------------------------ prediction units

describe("prediction units in their context", () => {
  const unit = (extra: Partial<Item> = {}) =>
    item("d7#s2", {
      text: "I paid 3.50 dollars in fees.",
      context: {
        kind: "sentence",
        parent_id: "d7",
        position: 2,
        n_units: 12,
        before: ["The refund arrived late.", "Support was slow."],
        after: ["Dr. Smith finally helped."],
      },
      ...extra,
    });

  it("shows where the unit sits and its neighbours dimmed, around the unit", () => {
    const v = view({ items: [unit()] });
    const before = v.q('[data-testid="jal-context-before"]') as HTMLElement;
    const after = v.q('[data-testid="jal-context-after"]') as HTMLElement;
    const example = v.q('[data-testid="jal-example"]') as HTMLElement;

    expect(v.text("jal-unit-where")).toBe("sentence 3 of 12 · document d7");
    expect(before.textContent).toBe("The refund arrived late. Support was slow.");
    expect(after.textContent).toBe("Dr. Smith finally helped.");
    expect(before.classList.contains("jal-context")).toBe(true);
    expect(v.text("jal-example")).toBe("I paid 3.50 dollars in fees.");
    expect(example.classList.contains("jal-unit")).toBe(true);
    const follows = (a: Node, b: Node) =>
      !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
    expect(follows(before, example) && follows(example, after)).toBe(true);
  });

  it("keeps neighbours as text, and shows nothing for a plain row", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const v = view({
      items: [
        unit({
          context: {
            kind: "message",
            parent_id: "c1",
            position: 0,
            n_units: 2,
            before: [],
            after: [evil],
          },
        }),
        item("row"),
      ],
    });

    expect(v.text("jal-context-after")).toBe(evil);
    expect(v.el.querySelector("img")).toBeNull();
    expect(v.q('[data-testid="jal-context-before"]')).toBeNull();
    expect(v.text("jal-unit-where")).toBe("message 1 of 2 · conversation c1");
    v.key("1");
    expect(v.q('[data-testid="jal-unit-where"]')?.hidden).toBe(true);
    expect(v.q('[data-testid="jal-context-after"]')).toBeNull();
    expect(v.q('[data-testid="jal-example"]')?.classList.contains("jal-unit")).toBe(false);
  });

  it("works with spans: the unit is the text to mark", () => {
    const v = extraction([unit({ prediction: null })]);

    expect(v.text("jal-span-text")).toBe("I paid 3.50 dollars in fees.");
    expect(v.text("jal-unit-where")).toBe("sentence 3 of 12 · document d7");
  });
});
