/**
 * Keyboard shortcuts as a pure function: a key press (plus what the view is showing) becomes
 * an action, or null when the key is not ours and must reach the page untouched.
 */
import type { ClassSpec, Task } from "./types";

export type Action =
  | { kind: "label"; label: string }
  | { kind: "toggle"; label: string }
  | { kind: "confirm" }
  | { kind: "skip" }
  | { kind: "unsure" }
  | { kind: "undo" }
  | { kind: "move"; delta: -1 | 1 }
  // extraction: a span type (add over the selection, or retype the selected span)
  | { kind: "span_type"; label: string }
  // extraction: the token cursor (shift: extend the selection)
  | { kind: "cursor"; delta: -1 | 1; extend: boolean }
  // extraction: select the next / previous span
  | { kind: "cycle"; delta: -1 | 1 }
  | { kind: "remove_span" }
  | { kind: "clear_spans" }
  // extraction: clear the selection (or the selected span, or the cursor)
  | { kind: "escape" }
  // regression: send the typed number
  | { kind: "number" }
  // regression: a number key on the root goes to the input (the key then types there)
  | { kind: "focus_number" }
  // regression: Escape in the input gives the keys back
  | { kind: "leave_input" };

/** The parts of a KeyboardEvent that matter (a KeyboardEvent fits as it is). */
export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
}

export interface KeyState {
  /** An example is shown (labels and skips need one). */
  has_item: boolean;
  /** Items in the batch (moves need some; default: 1 when an item is shown). */
  n_items?: number;
  /** Focus is on one of our buttons or inputs: Enter and Space keep their native meaning. */
  on_control?: boolean;
  /** Focus is in a text input (regression's number): only Enter and Escape are ours. */
  in_text?: boolean;
  /** Extraction: the span editor (Tab, Delete and Escape need something to act on). */
  spans?: {
    n: number;
    /** The selected span's index, or null. */
    selected: number | null;
    /** Escape has something to clear (a selected span, a selection, the cursor). */
    active: boolean;
  };
}

/** Keys that always mean an action; the kernel never gives them to a label. */
const ACTION_KEYS: Record<string, Action> = {
  s: { kind: "skip" },
  "?": { kind: "unsure" },
  u: { kind: "undo" },
  Backspace: { kind: "undo" },
};

/** The class a key names: its own `key` first, then digits 1-9 by position. */
export function class_for_key(key: string, classes: readonly ClassSpec[]): ClassSpec | null {
  const k = key.length === 1 ? key.toLowerCase() : key;
  if (k === "") return null;
  const own = classes.find((c) => c.key !== "" && c.key.toLowerCase() === k);
  if (own) return own;
  if (/^[1-9]$/.test(k)) {
    const c = classes[Number(k) - 1];
    // a digit that another class claims as its key was handled above
    if (c && !classes.some((o) => o.key === k)) return c;
  }
  return null;
}

/**
 * Map a key press to an action.
 *
 * Digits 1-9 and each class's `key` label (classification, ranking) or toggle (multilabel); `s`
 * skips, `?` marks unsure, `u` / Backspace / ctrl+z (cmd+z) undo, Enter confirms multilabel
 * toggles, ArrowLeft / ArrowRight move between the batch's items. Other keys with ctrl, meta or
 * alt held are not ours (except ctrl+z / cmd+z).
 *
 * Extraction (with an item shown): the class keys are span types; ArrowLeft / ArrowRight move
 * the token cursor (shift extends the selection); Tab / shift+Tab select the next / previous
 * span, and past the last (first) one are not ours, so focus can leave the widget; Delete /
 * Backspace remove the selected span (never undo: `u` does); Escape clears; Enter confirms.
 *
 * Regression: Enter and Escape in the number input send it and leave it (other keys there type
 * and are not ours); a number key on the root focuses the input.
 *
 * @example key_to_action({ key: "1" }, [{ name: "spam", key: "1", description: "" }],
 *   "classification", { has_item: true }) // -> { kind: "label", label: "spam" }
 */
export function key_to_action(
  press: KeyPress,
  classes: readonly ClassSpec[],
  task: Task,
  state: KeyState,
): Action | null {
  const { key } = press;
  if (state.in_text) {
    if (key === "Escape") return { kind: "leave_input" };
    if (key === "Enter" && task === "regression" && state.has_item && !press.altKey) {
      return { kind: "number" };
    }
    return null;
  }
  if (press.ctrlKey || press.metaKey || press.altKey) {
    // ctrl+z (cmd+z on a Mac) is undo; ctrl+shift+z is redo elsewhere, so it is not ours
    const undo = key.toLowerCase() === "z" && !press.altKey && !press.shiftKey;
    return undo ? { kind: "undo" } : null;
  }
  if (task === "extraction" && state.has_item) {
    const spans = extraction_key(press, state);
    if (spans !== undefined) return spans;
  }
  if (task === "regression" && state.has_item && /^[0-9.+-]$/.test(key)) {
    return { kind: "focus_number" };
  }
  const action = ACTION_KEYS[key.length === 1 ? key.toLowerCase() : key];
  if (action) {
    if (action.kind === "undo") return action;
    return state.has_item ? action : null;
  }
  if (key === "ArrowLeft" || key === "ArrowRight") {
    const n_items = state.n_items ?? (state.has_item ? 1 : 0);
    return n_items > 0 ? { kind: "move", delta: key === "ArrowLeft" ? -1 : 1 } : null;
  }
  if (key === "Enter") {
    if (state.on_control || task !== "multilabel" || !state.has_item) return null;
    return { kind: "confirm" };
  }
  if (!state.has_item || task === "regression") return null;
  const c = class_for_key(key, classes);
  if (!c) return null;
  if (task === "multilabel") return { kind: "toggle", label: c.name };
  if (task === "extraction") return { kind: "span_type", label: c.name };
  return { kind: "label", label: c.name };
}

/** The span editor's keys; undefined: not one of them (the common keys apply). */
function extraction_key(press: KeyPress, state: KeyState): Action | null | undefined {
  const { key } = press;
  const spans = state.spans ?? { n: 0, selected: null, active: false };
  switch (key) {
    case "ArrowLeft":
    case "ArrowRight":
      return { kind: "cursor", delta: key === "ArrowLeft" ? -1 : 1, extend: !!press.shiftKey };
    case "Tab": {
      if (state.on_control || !spans.n) return null;
      const delta = press.shiftKey ? -1 : 1;
      const sel = spans.selected;
      // past the last (first) span the key moves focus on as usual: no keyboard trap
      if (sel !== null && (sel + delta < 0 || sel + delta >= spans.n)) return null;
      return { kind: "cycle", delta };
    }
    case "Delete":
    case "Backspace":
      return spans.selected === null ? null : { kind: "remove_span" };
    case "Escape":
      return spans.active ? { kind: "escape" } : null;
    case "Enter":
      return state.on_control ? null : { kind: "confirm" };
    default:
      return undefined;
  }
}

/** The key that picks class `i` (its own key, else its digit), or "" when none does. */
export function key_hint(classes: readonly ClassSpec[], i: number): string {
  const c = classes[i];
  if (!c) return "";
  if (c.key) return c.key;
  const digit = String(i + 1);
  return i < 9 && class_for_key(digit, classes) === c ? digit : "";
}
