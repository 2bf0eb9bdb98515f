import { describe, expect, it } from "vitest";
import {
  effective,
  label_delta,
  move,
  n_done,
  new_view_state,
  reconcile,
  record_action,
  record_undo,
  same_label,
  shown_index,
  toggle_label,
  toggles_for,
  work_for,
} from "../src/state";
import { CLASSES, item } from "./fake_model";

const batch = () => [item("a"), item("b"), item("c")];

function fresh(items = batch(), ack = 0) {
  const s = new_view_state();
  reconcile(s, items, ack);
  return s;
}

describe("optimistic view state", () => {
  it("shows the first pending item from Python's position", () => {
    const items = batch();
    items[0].status = "labeled";
    const s = fresh(items);

    expect(shown_index(s, items, 1)).toBe(1);
    expect(shown_index(s, items, 0)).toBe(1);
    expect(shown_index(s, items, 99)).toBe(1);
  });

  it("advances at once after a label and counts it before Python does", () => {
    const items = batch();
    const s = fresh(items);
    record_action(s, items[0], "labeled", "ham", 5);

    expect(shown_index(s, items, 0)).toBe(1);
    expect(effective(items[0], s)).toEqual({ status: "labeled", label: "ham" });
    expect(label_delta(s, items)).toBe(1);
    expect(n_done(s, items)).toBe(1);
  });

  it("drops an override once Python acknowledged its message", () => {
    const items = batch();
    const s = fresh(items);
    record_action(s, items[0], "labeled", "ham", 5);
    record_action(s, items[1], "skipped", null, 9);
    const confirmed = batch();
    confirmed[0] = { ...confirmed[0], status: "labeled", label: "ham" };
    reconcile(s, confirmed, 5);

    expect(s.overrides.has("a")).toBe(false);
    expect(s.overrides.has("b")).toBe(true);
    expect(label_delta(s, confirmed)).toBe(0);
    expect(shown_index(s, confirmed, 1)).toBe(2);
  });

  it("shows a refused label's item again (ack without the label)", () => {
    const items = batch();
    const s = fresh(items);
    record_action(s, items[0], "labeled", "ham", 5);
    reconcile(s, items, 5);

    expect(shown_index(s, items, 0)).toBe(0);
  });

  it("starts afresh on a new batch", () => {
    const s = fresh();
    record_action(s, batch()[0], "labeled", "ham", 5);
    const next = [item("d"), item("e")];
    reconcile(s, next, 0);

    expect(s.overrides.size).toBe(0);
    expect(s.history).toEqual([]);
    expect(shown_index(s, next, 0)).toBe(0);
  });

  it("returns -1 when every item is done", () => {
    const items = batch();
    const s = fresh(items);
    for (const it of items) record_action(s, it, "labeled", "ham", 1);

    expect(shown_index(s, items, 2)).toBe(-1);
  });

  it("undo takes back the newest action and shows its item", () => {
    const items = batch();
    const s = fresh(items);
    record_action(s, items[0], "labeled", "ham", 1);
    record_action(s, items[1], "labeled", "spam", 2);

    expect(record_undo(s, items, 3)).toBe("b");
    expect(shown_index(s, items, 0)).toBe(1);
    expect(effective(items[1], s).status).toBe("pending");
    expect(record_undo(s, items, 4)).toBe("a");
    expect(shown_index(s, items, 0)).toBe(0);
    expect(record_undo(s, items, 5)).toBeNull();
  });

  it("undo of a label Python already counted waits for Python", () => {
    const items = batch();
    items[0] = { ...items[0], status: "labeled", label: "ham" };
    const s = fresh(items);
    s.history.push("a");
    record_undo(s, items, 7);

    expect(label_delta(s, items)).toBe(-1);
    expect(effective(items[0], s).status).toBe("pending");
    // the label message's own state update arrives first: still pending here
    reconcile(s, items, 6);
    expect(effective(items[0], s).status).toBe("pending");
  });

  it("moves between items, pinning the one shown", () => {
    const items = batch();
    const s = fresh(items);

    expect(move(s, items, 0, 1)).toBe(1);
    expect(shown_index(s, items, 0)).toBe(1);
    expect(move(s, items, 1, 5)).toBe(2);
    expect(move(s, items, 2, -9)).toBe(0);
    expect(move(s, items, -1, -1)).toBe(2);
    expect(move(s, [], 0, 1)).toBe(-1);
    // a label unpins: back to following the first pending item
    record_action(s, items[2], "labeled", "ham", 1);
    expect(shown_index(s, items, 0)).toBe(0);
  });
});

describe("multilabel toggles", () => {
  it("flips labels and keeps the schema's order", () => {
    expect(toggle_label([], "spam", CLASSES)).toEqual(["spam"]);
    expect(toggle_label(["spam"], "ham", CLASSES)).toEqual(["ham", "spam"]);
    expect(toggle_label(["ham", "spam"], "ham", CLASSES)).toEqual(["spam"]);
  });

  it("start from the item's label and reset per item", () => {
    const items = [item("a", { status: "labeled", label: ["other"] }), item("b")];
    const s = fresh(items);

    expect(toggles_for(s, items[0])).toEqual(["other"]);
    s.toggles = ["ham"];
    expect(toggles_for(s, items[0])).toEqual(["ham"]);
    expect(toggles_for(s, items[1])).toEqual([]);
  });
});

describe("the other tasks' labels", () => {
  it("compares labels deeply: numbers, class lists, span sets in any order", () => {
    const a = { start: 0, end: 2, type: "x" };
    const b = { start: 3, end: 5, type: "y" };

    expect(same_label("ham", "ham")).toBe(true);
    expect(same_label(2.5, 2.5)).toBe(true);
    expect(same_label(2.5, "2.5")).toBe(false);
    expect(same_label(["a", "b"], ["a", "b"])).toBe(true);
    expect(same_label(["a", "b"], ["b", "a"])).toBe(false);
    expect(same_label([a, b], [{ ...b }, { ...a }])).toBe(true);
    expect(same_label([a], [{ ...a, type: "z" }])).toBe(false);
    expect(same_label([a], [a, b])).toBe(false);
    expect(same_label([], [])).toBe(true);
    expect(same_label(null, [])).toBe(false);
    expect(same_label(null, undefined)).toBe(false);
    expect(same_label(null, null)).toBe(true);
  });

  it("keeps optimistic numbers and spans like any label", () => {
    const items = batch();
    const s = fresh(items);
    const spans = [{ start: 0, end: 4, type: "x" }];
    record_action(s, items[0], "labeled", 3.5, 1);
    record_action(s, items[1], "labeled", spans, 2);

    expect(effective(items[0], s)).toEqual({ status: "labeled", label: 3.5 });
    expect(effective(items[1], s)).toEqual({ status: "labeled", label: spans });
    expect(toggles_for(s, items[1])).toEqual([]); // spans are no multilabel toggles
    expect(label_delta(s, items)).toBe(2);
  });

  it("keeps a span editor per item until its label is sent or undone", () => {
    const pred = [{ start: 0, end: 4, type: "x" }];
    const items = [item("a", { text: "text of a", prediction: pred }), item("b")];
    const s = fresh(items);
    const w = work_for(s, items[0], true);

    expect(w.spans).toEqual([{ ...pred[0], origin: "model" }]);
    expect(work_for(s, items[0], true)).toBe(w); // the same editor while it is open
    record_action(s, items[0], "labeled", [], 1);
    expect(s.span_work.has("a")).toBe(false);
    expect(work_for(s, items[0], true).spans).toEqual([]); // from its label: no spans
    record_undo(s, items, 2);
    expect(s.span_work.has("a")).toBe(false);
    expect(work_for(s, items[0], false).spans).toEqual([]); // hidden prediction: nothing
    reconcile(s, [item("n")], 0);
    expect(s.span_work.size).toBe(0); // a new batch starts afresh
  });
});
