import { describe, expect, it } from "vitest";
import { class_for_key, key_hint, key_to_action } from "../src/keys";
import type { ClassSpec } from "../src/types";

const classes: ClassSpec[] = [
  { name: "ham", key: "1", description: "" },
  { name: "spam", key: "2", description: "" },
  { name: "eggs", key: "a", description: "" },
];
const on = { has_item: true, n_items: 3 };
const off = { has_item: false, n_items: 0 };

describe("key_to_action", () => {
  it("maps digits and class keys to labels (classification)", () => {
    expect(key_to_action({ key: "1" }, classes, "classification", on)).toEqual({
      kind: "label",
      label: "ham",
    });
    expect(key_to_action({ key: "2" }, classes, "classification", on)).toEqual({
      kind: "label",
      label: "spam",
    });
    expect(key_to_action({ key: "a" }, classes, "classification", on)).toEqual({
      kind: "label",
      label: "eggs",
    });
    expect(key_to_action({ key: "A", shiftKey: true }, classes, "classification", on)).toEqual({
      kind: "label",
      label: "eggs",
    });
  });

  it("toggles in a multilabel task and confirms with Enter", () => {
    expect(key_to_action({ key: "2" }, classes, "multilabel", on)).toEqual({
      kind: "toggle",
      label: "spam",
    });
    expect(key_to_action({ key: "Enter" }, classes, "multilabel", on)).toEqual({ kind: "confirm" });
    expect(key_to_action({ key: "Enter" }, classes, "classification", on)).toBeNull();
    // Enter on a focused button keeps its native meaning (activate that button)
    expect(
      key_to_action({ key: "Enter" }, classes, "multilabel", { ...on, on_control: true }),
    ).toBeNull();
  });

  it("maps the action keys", () => {
    expect(key_to_action({ key: "s" }, classes, "classification", on)).toEqual({ kind: "skip" });
    expect(key_to_action({ key: "S", shiftKey: true }, classes, "classification", on)).toEqual({
      kind: "skip",
    });
    expect(key_to_action({ key: "?", shiftKey: true }, classes, "classification", on)).toEqual({
      kind: "unsure",
    });
    expect(key_to_action({ key: "u" }, classes, "classification", on)).toEqual({ kind: "undo" });
    expect(key_to_action({ key: "Backspace" }, classes, "classification", on)).toEqual({
      kind: "undo",
    });
    expect(key_to_action({ key: "z", ctrlKey: true }, classes, "classification", on)).toEqual({
      kind: "undo",
    });
    expect(key_to_action({ key: "z", metaKey: true }, classes, "classification", on)).toEqual({
      kind: "undo",
    });
    expect(key_to_action({ key: "ArrowLeft" }, classes, "classification", on)).toEqual({
      kind: "move",
      delta: -1,
    });
    expect(key_to_action({ key: "ArrowRight" }, classes, "classification", on)).toEqual({
      kind: "move",
      delta: 1,
    });
  });

  it("ignores keys with ctrl/meta/alt, except ctrl+z", () => {
    expect(key_to_action({ key: "1", ctrlKey: true }, classes, "classification", on)).toBeNull();
    expect(key_to_action({ key: "1", metaKey: true }, classes, "classification", on)).toBeNull();
    expect(key_to_action({ key: "1", altKey: true }, classes, "classification", on)).toBeNull();
    expect(key_to_action({ key: "s", ctrlKey: true }, classes, "classification", on)).toBeNull();
    expect(
      key_to_action({ key: "z", ctrlKey: true, altKey: true }, classes, "classification", on),
    ).toBeNull();
    // ctrl+shift+z is redo in most programs: not ours
    expect(
      key_to_action({ key: "Z", ctrlKey: true, shiftKey: true }, classes, "classification", on),
    ).toBeNull();
  });

  it("returns null for keys that are not ours", () => {
    for (const key of ["0", "4", "9", "x", "Escape", "Tab", " ", "ArrowUp", "F5", "Shift"]) {
      expect(key_to_action({ key }, classes, "classification", on)).toBeNull();
    }
  });

  it("needs an item to label, skip or confirm; undo and moves work without one", () => {
    expect(key_to_action({ key: "1" }, classes, "classification", off)).toBeNull();
    expect(key_to_action({ key: "s" }, classes, "classification", off)).toBeNull();
    expect(key_to_action({ key: "?" }, classes, "classification", off)).toBeNull();
    expect(key_to_action({ key: "Enter" }, classes, "multilabel", off)).toBeNull();
    expect(key_to_action({ key: "u" }, classes, "classification", off)).toEqual({ kind: "undo" });
    expect(key_to_action({ key: "ArrowLeft" }, classes, "classification", off)).toBeNull();
    const done = { has_item: false, n_items: 3 };
    expect(key_to_action({ key: "ArrowLeft" }, classes, "classification", done)).toEqual({
      kind: "move",
      delta: -1,
    });
  });

  it("falls back to the position for digits when classes have no key", () => {
    const bare: ClassSpec[] = [
      { name: "x", key: "", description: "" },
      { name: "y", key: "", description: "" },
    ];
    expect(key_to_action({ key: "2" }, bare, "classification", on)).toEqual({
      kind: "label",
      label: "y",
    });
    expect(key_to_action({ key: "3" }, bare, "classification", on)).toBeNull();
  });
});

describe("class_for_key / key_hint", () => {
  it("prefers a class's own key over a position", () => {
    const swapped: ClassSpec[] = [
      { name: "x", key: "2", description: "" },
      { name: "y", key: "", description: "" },
    ];
    expect(class_for_key("2", swapped)?.name).toBe("x");
    expect(class_for_key("1", swapped)?.name).toBe("x");
    expect(key_hint(swapped, 0)).toBe("2");
    // "2" belongs to x, so y has no key
    expect(key_hint(swapped, 1)).toBe("");
    expect(key_hint(classes, 2)).toBe("a");
    expect(key_hint(classes, 7)).toBe("");
  });
});

describe("key_to_action: the other tasks", () => {
  const spans = (n: number, selected: number | null, active = selected !== null) => ({
    ...on,
    spans: { n, selected, active },
  });

  it("ranking labels with grades like classification", () => {
    expect(key_to_action({ key: "2" }, classes, "ranking", on)).toEqual({
      kind: "label",
      label: "spam",
    });
    expect(key_to_action({ key: "Enter" }, classes, "ranking", on)).toBeNull();
  });

  it("extraction: types, token cursor, Enter confirms", () => {
    expect(key_to_action({ key: "1" }, classes, "extraction", on)).toEqual({
      kind: "span_type",
      label: "ham",
    });
    expect(key_to_action({ key: "ArrowRight" }, classes, "extraction", on)).toEqual({
      kind: "cursor",
      delta: 1,
      extend: false,
    });
    expect(key_to_action({ key: "ArrowLeft", shiftKey: true }, classes, "extraction", on)).toEqual({
      kind: "cursor",
      delta: -1,
      extend: true,
    });
    expect(key_to_action({ key: "Enter" }, classes, "extraction", on)).toEqual({
      kind: "confirm",
    });
    expect(
      key_to_action({ key: "Enter" }, classes, "extraction", { ...on, on_control: true }),
    ).toBeNull();
    // ctrl+arrow (word jumps elsewhere) is not ours; skip and undo stay
    expect(
      key_to_action({ key: "ArrowRight", ctrlKey: true }, classes, "extraction", on),
    ).toBeNull();
    expect(key_to_action({ key: "s" }, classes, "extraction", on)).toEqual({ kind: "skip" });
    expect(key_to_action({ key: "u" }, classes, "extraction", on)).toEqual({ kind: "undo" });
  });

  it("extraction: without an item, arrows move between items", () => {
    expect(
      key_to_action({ key: "ArrowRight" }, classes, "extraction", { has_item: false, n_items: 2 }),
    ).toEqual({
      kind: "move",
      delta: 1,
    });
    expect(key_to_action({ key: "1" }, classes, "extraction", off)).toBeNull();
  });

  it("extraction: Tab cycles the spans and lets focus go past the ends", () => {
    expect(key_to_action({ key: "Tab" }, classes, "extraction", spans(2, null))).toEqual({
      kind: "cycle",
      delta: 1,
    });
    expect(
      key_to_action({ key: "Tab", shiftKey: true }, classes, "extraction", spans(2, null)),
    ).toEqual({ kind: "cycle", delta: -1 });
    expect(key_to_action({ key: "Tab" }, classes, "extraction", spans(2, 0))).toEqual({
      kind: "cycle",
      delta: 1,
    });
    expect(key_to_action({ key: "Tab" }, classes, "extraction", spans(2, 1))).toBeNull();
    expect(
      key_to_action({ key: "Tab", shiftKey: true }, classes, "extraction", spans(2, 0)),
    ).toBeNull();
    expect(key_to_action({ key: "Tab" }, classes, "extraction", spans(0, null))).toBeNull();
    expect(
      key_to_action({ key: "Tab" }, classes, "extraction", { ...spans(2, null), on_control: true }),
    ).toBeNull();
  });

  it("extraction: Delete / Backspace remove the selected span, never undo", () => {
    for (const key of ["Delete", "Backspace"]) {
      expect(key_to_action({ key }, classes, "extraction", spans(2, 1))).toEqual({
        kind: "remove_span",
      });
      expect(key_to_action({ key }, classes, "extraction", spans(2, null))).toBeNull();
    }
  });

  it("extraction: Escape only when there is something to clear", () => {
    expect(key_to_action({ key: "Escape" }, classes, "extraction", spans(0, null, true))).toEqual({
      kind: "escape",
    });
    expect(key_to_action({ key: "Escape" }, classes, "extraction", spans(0, null))).toBeNull();
    expect(key_to_action({ key: "Escape" }, classes, "extraction", on)).toBeNull();
  });

  it("regression: number keys go to the field; class keys mean nothing", () => {
    for (const key of ["0", "7", ".", "-", "+"]) {
      expect(key_to_action({ key }, [], "regression", on)).toEqual({ kind: "focus_number" });
    }
    expect(key_to_action({ key: "7" }, [], "regression", off)).toBeNull();
    expect(key_to_action({ key: "a" }, classes, "regression", on)).toBeNull();
    expect(key_to_action({ key: "s" }, [], "regression", on)).toEqual({ kind: "skip" });
    expect(key_to_action({ key: "Enter" }, [], "regression", on)).toBeNull();
  });

  it("in a text field only Enter (regression) and Escape are ours", () => {
    const typing = { ...on, in_text: true, on_control: true };
    expect(key_to_action({ key: "Enter" }, [], "regression", typing)).toEqual({ kind: "number" });
    expect(key_to_action({ key: "Escape" }, [], "regression", typing)).toEqual({
      kind: "leave_input",
    });
    for (const key of ["1", "s", "u", "?", "Backspace", "ArrowLeft", "Tab", "z"]) {
      expect(key_to_action({ key }, classes, "regression", typing)).toBeNull();
      expect(key_to_action({ key, ctrlKey: true }, classes, "regression", typing)).toBeNull();
    }
    expect(
      key_to_action({ key: "Enter" }, [], "regression", { ...typing, has_item: false }),
    ).toBeNull();
    expect(key_to_action({ key: "Enter" }, classes, "classification", typing)).toBeNull();
  });
});
