import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// happy-dom has no layout for plotly: the glue module is replaced (see plot.ts)
vi.mock("../src/plot", () => ({
  draw: vi.fn(async () => {}),
  resize: vi.fn(),
  purge: vi.fn(),
}));

import * as plot from "../src/plot";
import { item, mount } from "./fake_model";

type Win = Window & { __jal_debug?: boolean; __jal_latency?: number[]; __jal_pwned?: number };
const win = window as Win;

let mounted: ReturnType<typeof mount>[] = [];
function view(...args: Parameters<typeof mount>) {
  const v = mount(...args);
  mounted.push(v);
  return v;
}

beforeEach(() => {
  vi.mocked(plot.draw).mockClear();
  vi.mocked(plot.purge).mockClear();
});

afterEach(() => {
  for (const v of mounted) {
    v.cleanup();
    v.el.remove();
  }
  mounted = [];
  delete win.__jal_debug;
  delete win.__jal_latency;
  delete win.__jal_pwned;
});

describe("rendering", () => {
  it("shows the example, the model's view and the progress", () => {
    const v = view();

    expect(v.text("jal-example")).toBe("text of a");
    expect(v.q('[data-testid="jal-example"] .jal-text')?.getAttribute("dir")).toBe("auto");
    expect(v.text("jal-prediction")).toBe("spam");
    expect(v.text("jal-confidence")).toBe("73%");
    expect(v.text("jal-uncertainty")).toBe("0.41");
    expect(v.text("jal-strategy")).toBe("margin");
    expect(v.text("jal-reason")).toBe("margin 0.04 between spam and ham (a)");
    expect(v.text("jal-round")).toBe("3 · #1");
    expect(v.text("jal-progress")).toBe("12 labeled · item 1 of 3 · 88 of 100 labels left");
  });

  it("has a focusable root that keeps notebook shortcuts away and is focused", () => {
    const v = view();

    expect(v.root.getAttribute("data-testid")).toBe("jal-root");
    expect(v.root.tabIndex).toBe(0);
    expect(v.root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(document.activeElement).toBe(v.root);
    (document.activeElement as HTMLElement | null)?.blur();
    v.click('[data-testid="jal-example"]');
    expect(document.activeElement).toBe(v.root);
  });

  it("has one real button per label, showing its hotkey", () => {
    const v = view();
    const buttons = [
      ...v.el.querySelectorAll<HTMLButtonElement>('[data-testid="jal-label-button"]'),
    ];

    expect(buttons.map((b) => b.dataset.label)).toEqual(["ham", "spam", "other"]);
    expect(buttons.every((b) => b.tagName === "BUTTON" && b.type === "button")).toBe(true);
    expect(buttons[1].querySelector("kbd")?.textContent).toBe("2");
    expect(buttons[1].getAttribute("aria-label")).toBe("label spam (key 2)");
    expect(buttons[1].title).toBe("unwanted mail");
    for (const id of ["jal-skip", "jal-unsure", "jal-undo", "jal-submit"]) {
      const b = v.q(`[data-testid="${id}"]`);
      expect(b?.tagName).toBe("BUTTON");
      expect(b?.getAttribute("aria-label")).toBeTruthy();
    }
  });

  it("renders a numeric row as a table", () => {
    const v = view({
      items: [
        item("r1", {
          kind: "table",
          text: undefined,
          fields: [
            ["sepal length", "5.1"],
            ["sepal width", "3.5"],
          ],
        }),
      ],
    });

    expect(v.q('[data-testid="jal-example"] table')).not.toBeNull();
    expect([...v.el.querySelectorAll(".jal-table th")].map((th) => th.textContent)).toEqual([
      "sepal length",
      "sepal width",
    ]);
    expect(v.q(".jal-table td")?.textContent).toBe("5.1");
  });

  it("renders an image on a scaled canvas", () => {
    const v = view({
      items: [
        item("d1", {
          kind: "image",
          image: { width: 8, height: 8, pixels: new Array(64).fill(7) },
        }),
      ],
    });
    const canvas = v.q<HTMLCanvasElement>('[data-testid="jal-example"] canvas');

    expect(canvas?.width).toBe(8);
    expect(canvas?.height).toBe(8);
    expect(canvas?.style.width).toBe("192px");
  });

  it("collapses a long text behind show more", () => {
    const long = "lorem ipsum ".repeat(200);
    const v = view({ items: [item("long", { text: long })] });

    expect(v.text("jal-example")?.length).toBeLessThan(620);
    v.click('[data-testid="jal-more"]');
    expect(v.text("jal-example")).toBe(long);
    expect(v.text("jal-more")).toBe("show less");
  });
});

describe("hostile data stays text", () => {
  it("creates no element and runs no script from the example, labels, reason or error", async () => {
    const evil = `<img src=x onerror="window.__jal_pwned=1"><script>window.__jal_pwned=2</script>`;
    const v = view({
      classes: [{ name: evil, key: "1", description: evil }],
      items: [item("x", { text: evil, reason: evil, prediction: evil, strategy: evil })],
      message: evil,
      error: evil,
    });
    await new Promise((r) => setTimeout(r, 20)); // give an onerror a chance to fire

    expect(v.el.querySelector("img,script")).toBeNull();
    expect(win.__jal_pwned).toBeUndefined();
    expect(v.text("jal-example")).toBe(evil);
    expect(v.text("jal-reason")).toBe(evil);
    expect(v.text("jal-error")).toBe(evil);
    expect(v.q('[data-testid="jal-label-button"]')?.getAttribute("data-label")).toBe(evil);
  });

  it("keeps right-to-left text and long unbroken lines as given", () => {
    const rtl = "שלום עולם, זו דוגמה";
    const v = view({ items: [item("h", { text: rtl }), item("w", { text: "x".repeat(500) })] });

    expect(v.text("jal-example")).toBe(rtl);
    expect(v.q(".jal-text")?.getAttribute("dir")).toBe("auto");
  });
});

describe("labeling", () => {
  it("a click sends the label and shows the next example at once", () => {
    const v = view();
    v.click('[data-testid="jal-label-button"][data-label="spam"]');

    expect(v.model.sent).toEqual([
      { kind: "label", item_id: "a", label: "spam", source: "click", t: expect.any(Number) },
    ]);
    expect(v.shown()).toBe("b");
    expect(v.text("jal-example")).toBe("text of b");
    expect(v.text("jal-progress")).toBe("13 labeled · item 2 of 3 · 88 of 100 labels left");
    expect(document.activeElement).toBe(v.root); // keys keep working after a click
  });

  it("key 1 labels with source key and never reaches the notebook", () => {
    const v = view();
    const outer = vi.fn();
    document.addEventListener("keydown", outer);
    const ev = v.key("1");
    document.removeEventListener("keydown", outer);

    expect(v.model.sent[0]).toMatchObject({
      kind: "label",
      item_id: "a",
      label: "ham",
      source: "key",
    });
    expect(ev.defaultPrevented).toBe(true);
    expect(outer).not.toHaveBeenCalled();
    expect(v.shown()).toBe("b");
  });

  it("lets keys that are not ours through", () => {
    const v = view();
    const outer = vi.fn();
    document.addEventListener("keydown", outer);
    const ev = v.key("x");
    const ctrl = v.key("1", { ctrlKey: true });
    document.removeEventListener("keydown", outer);

    expect(ev.defaultPrevented).toBe(false);
    expect(ctrl.defaultPrevented).toBe(false);
    expect(outer).toHaveBeenCalledTimes(2);
    expect(v.model.sent).toEqual([]);
  });

  it("a held key labels once", () => {
    const v = view();
    v.key("1");
    const ev = v.key("1", { repeat: true });

    expect(v.model.sent).toHaveLength(1);
    expect(ev.defaultPrevented).toBe(true);
  });

  it("skip and unsure, by key and by button", () => {
    const v = view();
    v.key("s");
    v.key("?");
    v.click('[data-testid="jal-skip"]');

    expect(v.model.sent.map((m) => [m.kind, m.item_id, m.unsure])).toEqual([
      ["skip", "a", false],
      ["skip", "b", true],
      ["skip", "c", false],
    ]);
    expect(v.shown()).toBeNull();
  });

  it("ctrl+z undoes: sends undo and shows the item again", () => {
    const v = view();
    v.key("2");
    expect(v.shown()).toBe("b");
    const ev = v.key("z", { ctrlKey: true });

    expect(ev.defaultPrevented).toBe(true);
    expect(v.model.sent[1]).toEqual({ kind: "undo", t: expect.any(Number) });
    expect(v.shown()).toBe("a");
    expect(v.text("jal-progress")).toContain("12 labeled · item 1 of 3");
  });

  it("the undo button and u do the same", () => {
    const v = view();
    v.key("1");
    v.key("1");
    v.click('[data-testid="jal-undo"]');
    expect(v.shown()).toBe("b");
    v.key("u");

    expect(v.shown()).toBe("a");
    expect(v.model.sent.filter((m) => m.kind === "undo")).toHaveLength(2);
  });

  it("arrows move between items; labeling a moved-to item goes back to the first pending", () => {
    const v = view();
    v.key("ArrowRight");
    v.key("ArrowRight");
    expect(v.shown()).toBe("c");
    v.key("3");

    expect(v.model.sent[0]).toMatchObject({ item_id: "c", label: "other" });
    expect(v.shown()).toBe("a");
    v.key("ArrowLeft");
    expect(v.shown()).toBe("a");
  });

  it("labeling the last item sends only the label when auto_submit is on", () => {
    const v = view();
    v.key("1");
    v.key("1");
    v.key("2");

    expect(v.model.sent.map((m) => m.kind)).toEqual(["label", "label", "label"]);
    expect(v.shown()).toBeNull();
    expect(v.text("jal-empty")).toContain("batch complete");
    // Python is submitting: an undo now would land in the next round
    expect(v.q<HTMLButtonElement>('[data-testid="jal-undo"]')?.disabled).toBe(true);
    v.key("u");
    expect(v.model.sent).toHaveLength(3);
    v.model.push({ status: "training" });
    expect(v.text("jal-status")).toBe("training…");
    expect(v.text("jal-empty")).toContain("training");
  });

  it("a complete batch waiting for Python's submit can be looked at, not relabeled", () => {
    const v = view({ items: [item("a"), item("b")] });
    v.key("1");
    v.key("1");
    v.key("ArrowLeft");

    expect(v.shown()).toBe("b");
    v.key("2");
    v.key("s");
    expect(v.model.sent).toHaveLength(2);
  });

  it("with auto_submit off, the submit button sends submit", () => {
    const v = view({ auto_submit: false, items: [item("a")] });
    v.key("1");

    expect(v.q('[data-testid="jal-submit"]')?.classList.contains("jal-primary")).toBe(true);
    v.click('[data-testid="jal-submit"]');
    expect(v.model.sent[1]).toEqual({ kind: "submit", t: expect.any(Number) });
  });

  it("blocks labels while training", () => {
    const v = view({ status: "training" });
    v.key("1");
    v.click('[data-testid="jal-label-button"][data-label="ham"]');

    expect(v.model.sent).toEqual([]);
    expect(v.q<HTMLButtonElement>('[data-testid="jal-label-button"]')?.disabled).toBe(true);
  });
});

describe("multilabel", () => {
  it("keys and buttons toggle; Enter confirms the set", () => {
    const v = view({ task: "multilabel" });
    v.key("1");
    v.click('[data-testid="jal-label-button"][data-label="other"]');

    expect(v.model.sent).toEqual([]);
    const pressed = [...v.el.querySelectorAll('[data-testid="jal-label-button"]')].map((b) =>
      b.getAttribute("aria-pressed"),
    );
    expect(pressed).toEqual(["true", "false", "true"]);
    const ev = v.key("Enter");

    expect(ev.defaultPrevented).toBe(true);
    expect(v.model.sent[0]).toMatchObject({
      kind: "label",
      item_id: "a",
      label: ["ham", "other"],
      source: "key",
    });
    expect(v.shown()).toBe("b");
    expect(v.q('[data-testid="jal-label-button"]')?.getAttribute("aria-pressed")).toBe("false");
  });

  it("the confirm button sends an empty set too (none applies)", () => {
    const v = view({ task: "multilabel" });
    v.click('[data-testid="jal-confirm"]');

    expect(v.model.sent[0]).toMatchObject({ kind: "label", label: [], source: "click" });
  });

  it("Enter on a focused button keeps its native meaning", () => {
    const v = view({ task: "multilabel" });
    const skip = v.q('[data-testid="jal-skip"]') as HTMLButtonElement;
    const ev = v.key("Enter", {}, skip);

    expect(ev.defaultPrevented).toBe(false);
    expect(v.model.sent).toEqual([]);
  });

  it("hides the confirm button for single-label tasks", () => {
    const v = view();

    expect(v.q<HTMLButtonElement>('[data-testid="jal-confirm"]')?.hidden).toBe(true);
  });
});

describe("the LLM judge's note", () => {
  const note = { label: "spam", rationale: "an offer", confidence: 0.8, use: "x", model: "kw" };

  it("shows the judge's suggestion under the reason, dimmed, without selecting a label", () => {
    const v = view({ items: [item("a", { judge: note }), item("b")] });
    const row = v.q('[data-testid="jal-judge"]')?.parentElement;

    expect(v.text("jal-judge")).toBe("LLM judge (kw): spam (80% sure) — an offer");
    expect(row?.hidden).toBe(false);
    expect(row?.classList.contains("jal-judge")).toBe(true);
    expect(row?.previousElementSibling?.querySelector('[data-testid="jal-reason"]')).not.toBeNull();
    expect(v.el.querySelectorAll(".jal-on")).toHaveLength(0);
    expect(v.model.sent).toEqual([]);
    v.key("ArrowRight");
    expect(row?.hidden).toBe(true); // item b has no note
  });

  it("shows the note as text, never as HTML", async () => {
    const evil = `<img src=x onerror="window.__jal_pwned=1">`;
    const v = view({
      items: [item("a", { judge: { ...note, label: evil, rationale: evil, model: evil } })],
    });
    await new Promise((r) => setTimeout(r, 20));

    expect(v.el.querySelector("img")).toBeNull();
    expect(win.__jal_pwned).toBeUndefined();
    expect(v.text("jal-judge")).toContain(evil);
  });

  it("is hidden until labeled when the prediction is", () => {
    const v = view({ hide_prediction: true, items: [item("a", { judge: note })] });

    expect(v.text("jal-judge")).toBe("hidden until you label");
  });
});

describe("hide_prediction", () => {
  it("hides the prediction until the item is labeled", () => {
    const v = view({ hide_prediction: true });

    expect(v.text("jal-prediction")).toBe("hidden until you label");
    expect(v.text("jal-confidence")).toBe("hidden");
    v.key("1");
    expect(v.text("jal-prediction")).toBe("hidden until you label"); // item b, pending
    expect(v.text("jal-last")).toBe("previous: ham · model said spam");
    v.key("ArrowLeft");
    expect(v.shown()).toBe("a");
    expect(v.text("jal-prediction")).toBe("spam");
    expect(v.text("jal-your-label")).toBe("ham");
  });

  it("the checkbox asks Python to change the setting", () => {
    const v = view();
    const box = v.q<HTMLInputElement>('[data-testid="jal-hide-prediction"]') as HTMLInputElement;
    box.click();

    expect(v.model.sent).toEqual([{ kind: "settings", hide_prediction: true }]);
    v.model.push({ hide_prediction: true });
    expect(v.text("jal-prediction")).toBe("hidden until you label");
  });
});

describe("status and error", () => {
  it("shows Python's message, training and the error", () => {
    const v = view({ message: "round 3 closed: f1_macro 0.810" });

    expect(v.text("jal-status")).toBe("round 3 closed: f1_macro 0.810");
    expect(v.q('[data-testid="jal-error"]')?.hidden).toBe(true);
    v.model.push({ status: "training" });
    expect(v.text("jal-status")).toBe("training…");
    v.model.push({ status: "error", error: "LabelError: label 'x' is not in the schema" });
    expect(v.q('[data-testid="jal-error"]')?.hidden).toBe(false);
    expect(v.text("jal-error")).toBe("LabelError: label 'x' is not in the schema");
    v.model.push({ error: "" });
    expect(v.q('[data-testid="jal-error"]')?.hidden).toBe(true);
  });

  it("shows the stop reason when stopped", () => {
    const v = view({ status: "stopped", message: "stopped: budget spent", items: [] });

    expect(v.text("jal-empty")).toBe("stopped: budget spent");
    expect(v.shown()).toBeNull();
  });
});

describe("following Python", () => {
  it("keeps the optimistic view while Python catches up, then adopts its state", () => {
    const v = view();
    v.key("1"); // a
    v.key("2"); // b
    const [m1, m2] = v.model.sent as { t: number }[];
    // Python handled the first label (items, then ack_t)
    v.model.push({
      items: [item("a", { status: "labeled", label: "ham" }), item("b"), item("c")],
      position: 1,
      progress: { n_labeled: 13, budget: "87 of 100 labels left" },
    });
    v.model.push({ ack_t: m1.t });

    expect(v.shown()).toBe("c");
    expect(v.text("jal-progress")).toBe("14 labeled · item 3 of 3 · 87 of 100 labels left");
    // Python refused the second one (an error, no state change): b comes back
    v.model.push({ error: "could not write the log", ack_t: m2.t });
    expect(v.shown()).toBe("b");
  });

  it("a new batch re-renders from its first pending item", () => {
    const v = view();
    v.key("1");
    v.model.push({ items: [item("n1"), item("n2")], position: 0 });

    expect(v.shown()).toBe("n1");
    expect(v.text("jal-example")).toBe("text of n1");
  });

  it("new classes rebuild the label buttons", () => {
    const v = view();
    v.model.push({ classes: [{ name: "yes", key: "1", description: "" }] });

    expect(v.el.querySelectorAll('[data-testid="jal-label-button"]')).toHaveLength(1);
    v.key("1");
    expect(v.model.sent[0]).toMatchObject({ label: "yes" });
  });
});

describe("latency probe", () => {
  it("records action -> next example only when debugging", () => {
    const v = view();
    v.key("1");
    expect(win.__jal_latency).toBeUndefined();
    win.__jal_debug = true;
    v.key("1");
    v.key("u");

    expect(win.__jal_latency).toHaveLength(2);
    expect(win.__jal_latency?.every((x) => typeof x === "number" && x >= 0)).toBe(true);
  });
});

describe("learning curve", () => {
  it("draws after the view is up, and redraws only on curve or count changes", async () => {
    const v = view();

    expect(v.text("jal-example")).toBe("text of a"); // the view is there before any plot
    expect(plot.draw).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(plot.draw).toHaveBeenCalledTimes(1));
    const [div, fig] = vi.mocked(plot.draw).mock.calls[0];
    expect(div).toBe(v.q('[data-testid="jal-curve"]'));
    expect(fig.data[0].x).toEqual([10, 20]);

    v.key("1");
    v.model.push({ items: [item("n")], progress: { n_labeled: 13 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(plot.draw).toHaveBeenCalledTimes(1);

    v.model.push({
      curve: { metric: "f1_macro", x: [10, 20, 30], y: [0.6, 0.7, 0.75], stop: "plateau" },
    });
    v.model.push({ class_counts: { ham: 9, spam: 6 } });
    await vi.waitFor(() => expect(plot.draw).toHaveBeenCalledTimes(2));
    const last = vi.mocked(plot.draw).mock.calls[1][1];
    expect(last.data[1].name).toBe("stop");
    expect(last.data[2].y).toEqual([9, 6]);
  });

  it("cleans up: handlers off, plot purged, DOM removed", () => {
    const v = view();
    expect(v.model.n_handlers()).toBeGreaterThan(0);
    v.cleanup();

    expect(v.model.n_handlers()).toBe(0);
    expect(plot.purge).toHaveBeenCalled();
    expect(v.el.querySelector(".jal-root")).toBeNull();
    mounted = mounted.filter((m) => m !== v);
  });
});
