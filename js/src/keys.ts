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
  | { kind: "move"; delta: -1 | 1 };

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
 * Digits 1-9 and each class's `key` label (classification) or toggle (multilabel); `s` skips,
 * `?` marks unsure, `u` / Backspace / ctrl+z (cmd+z) undo, Enter confirms multilabel toggles,
 * ArrowLeft / ArrowRight move between the batch's items. Other keys with ctrl, meta or alt held
 * are not ours (except ctrl+z / cmd+z).
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
  if (press.ctrlKey || press.metaKey || press.altKey) {
    // ctrl+z (cmd+z on a Mac) is undo; ctrl+shift+z is redo elsewhere, so it is not ours
    const undo = key.toLowerCase() === "z" && !press.altKey && !press.shiftKey;
    return undo ? { kind: "undo" } : null;
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
  if (!state.has_item) return null;
  const c = class_for_key(key, classes);
  if (!c) return null;
  return task === "multilabel"
    ? { kind: "toggle", label: c.name }
    : { kind: "label", label: c.name };
}

/** The key that picks class `i` (its own key, else its digit), or "" when none does. */
export function key_hint(classes: readonly ClassSpec[], i: number): string {
  const c = classes[i];
  if (!c) return "";
  if (c.key) return c.key;
  const digit = String(i + 1);
  return i < 9 && class_for_key(digit, classes) === c ? digit : "";
}
