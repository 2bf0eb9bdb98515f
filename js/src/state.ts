/**
 * The page's own view state, kept apart from the DOM so it can be tested: which item is shown,
 * the optimistic labels sent but not yet acknowledged by Python, the multilabel toggles and the
 * extraction view's working sets of spans.
 *
 * Python stays the source of truth. A label is shown at once as an *override* of the item's
 * status; the override is dropped when Python acknowledges the message (the `ack_t` trait
 * reaches the message's `t`), by which time the `items` trait holds Python's own answer. If
 * Python refused the label, the item is simply pending again.
 */
import { index_text, type SpanWork, start_work } from "./spans";
import type { ClassSpec, Item, ItemStatus, Label, Span } from "./types";

export interface Override {
  status: ItemStatus;
  label: Label | null;
  /** The `t` of the message that made it; Python's `ack_t` >= t means it was handled. */
  t: number;
}

export interface ViewState {
  /** The ids of the batch the state belongs to; a new batch starts afresh. */
  batch_key: string;
  overrides: Map<string, Override>;
  /** Ids labeled or skipped on this page in this batch, newest last (for undo). */
  history: string[];
  /** Id shown because the user moved to it (arrows or undo); null = follow the first pending. */
  pinned: string | null;
  /** Multilabel selection, for the item `toggles_for`. */
  toggles: string[];
  toggles_for: string | null;
  /** Extraction: the span editor of each item visited, until its label is sent or undone. */
  span_work: Map<string, SpanWork>;
}

export function new_view_state(): ViewState {
  return {
    batch_key: "",
    overrides: new Map(),
    history: [],
    pinned: null,
    toggles: [],
    toggles_for: null,
    span_work: new Map(),
  };
}

export function batch_key(items: readonly Item[]): string {
  return items.map((it) => it.id).join("\u0000");
}

/** Adopt Python's items: a new batch resets the state; acknowledged overrides are dropped. */
export function reconcile(state: ViewState, items: readonly Item[], ack_t: number): void {
  const key = batch_key(items);
  if (key !== state.batch_key) {
    Object.assign(state, new_view_state(), { batch_key: key });
    return;
  }
  const ack = Number.isFinite(ack_t) ? ack_t : 0;
  for (const [id, o] of state.overrides) {
    if (o.t <= ack) state.overrides.delete(id);
  }
}

/** An item's status and label as the page shows them (its override, else Python's). */
export function effective(
  item: Item,
  state: ViewState,
): { status: ItemStatus; label: Label | null } {
  const o = state.overrides.get(item.id);
  return o ? { status: o.status, label: o.label } : { status: item.status, label: item.label };
}

function is_pending(item: Item, state: ViewState): boolean {
  return effective(item, state).status === "pending";
}

/**
 * The index of the item to show: the pinned one, else the first pending one from Python's
 * `position` on (wrapping round), else -1 (the batch is done).
 */
export function shown_index(state: ViewState, items: readonly Item[], position: number): number {
  if (state.pinned !== null) {
    const i = items.findIndex((it) => it.id === state.pinned);
    if (i >= 0) return i;
    state.pinned = null;
  }
  const n = items.length;
  const start = Number.isInteger(position) && position >= 0 && position < n ? position : 0;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (is_pending(items[i], state)) return i;
  }
  return -1;
}

/** Record a label or skip given on this page; the view then follows to the next pending item. */
export function record_action(
  state: ViewState,
  item: Item,
  status: "labeled" | "skipped",
  label: Label | null,
  t: number,
): void {
  state.overrides.set(item.id, { status, label, t });
  state.history = state.history.filter((id) => id !== item.id);
  state.history.push(item.id);
  state.pinned = null;
  state.toggles_for = null;
  state.span_work.delete(item.id);
}

/**
 * Take back the newest action of this page: its item is pending again and shown.
 * Returns the item id, or null when the page has nothing to take back (Python still undoes
 * its own last action and the page follows when the items arrive).
 */
export function record_undo(state: ViewState, items: readonly Item[], t: number): string | null {
  while (state.history.length) {
    const id = state.history.pop() as string;
    if (!items.some((it) => it.id === id)) continue;
    state.overrides.set(id, { status: "pending", label: null, t });
    state.pinned = id;
    state.toggles_for = null;
    state.span_work.delete(id);
    return id;
  }
  return null;
}

/** Move the view by `delta` items (clamped); -1 (batch done) moves from past the end. */
export function move(
  state: ViewState,
  items: readonly Item[],
  from: number,
  delta: number,
): number {
  if (!items.length) return -1;
  const base = from < 0 ? items.length : from;
  const to = Math.min(Math.max(base + delta, 0), items.length - 1);
  state.pinned = items[to].id;
  return to;
}

/** Labels given on this page that Python has not counted yet (+1 label, -1 undone label). */
export function label_delta(state: ViewState, items: readonly Item[]): number {
  let delta = 0;
  for (const it of items) {
    const o = state.overrides.get(it.id);
    if (!o) continue;
    const was = it.status === "labeled";
    const now = o.status === "labeled";
    delta += Number(now) - Number(was);
  }
  return delta;
}

/** How many of the batch's items are labeled or skipped, as the page shows them. */
export function n_done(state: ViewState, items: readonly Item[]): number {
  return items.filter((it) => !is_pending(it, state)).length;
}

/** The multilabel selection for `item`, starting from its current label (or none). */
export function toggles_for(state: ViewState, item: Item): string[] {
  if (state.toggles_for !== item.id) {
    const label = effective(item, state).label;
    state.toggles = Array.isArray(label)
      ? label.filter((x): x is string => typeof x === "string")
      : [];
    state.toggles_for = item.id;
  }
  return state.toggles;
}

/** Flip one label in a multilabel selection; the result keeps the schema's order. */
export function toggle_label(
  selected: readonly string[],
  label: string,
  classes: readonly ClassSpec[],
): string[] {
  const on = new Set(selected);
  if (on.has(label)) on.delete(label);
  else on.add(label);
  const order = classes.map((c) => c.name);
  const known = order.filter((name) => on.has(name));
  const unknown = [...on].filter((name) => !order.includes(name));
  return [...known, ...unknown];
}

/**
 * Whether two labels are the same: strings and numbers by value, class lists in order, span
 * lists as sets of `{start, end, type}` (any order, other keys ignored).
 */
export function same_label(a: Label | null | undefined, b: Label | null | undefined): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (!Array.isArray(a) || !Array.isArray(b)) return false;
  if (a.length !== b.length) return false;
  const key = (x: unknown) =>
    x && typeof x === "object"
      ? JSON.stringify([(x as Span).start, (x as Span).end, (x as Span).type])
      : JSON.stringify(x);
  const spans = a.some((x) => x && typeof x === "object");
  const ka = a.map(key);
  const kb = b.map(key);
  if (spans) {
    ka.sort();
    kb.sort();
  }
  return ka.every((k, i) => k === kb[i]);
}

/**
 * The span editor of `item` (extraction), made on first use: it starts from the item's label
 * when labeled (on this page or by Python), else from the model's proposed spans unless
 * `use_prediction` is false (the prediction is hidden), else empty.
 */
export function work_for(state: ViewState, item: Item, use_prediction: boolean): SpanWork {
  let work = state.span_work.get(item.id);
  if (!work) {
    const eff = effective(item, state);
    const n = index_text(typeof item.text === "string" ? item.text : "").n;
    const label = eff.status === "labeled" ? eff.label : null;
    work = start_work(label, item.prediction, use_prediction, n);
    state.span_work.set(item.id, work);
  }
  return work;
}
