/**
 * The widget (anywidget): render({ model, el }) shows the view of the `mode` trait: the
 * interview form (interview_view.ts) or the labeling view, re-rendered from scratch when the
 * mode changes, so only one of them exists, listens and sends at a time.
 *
 * The labeling view is a thin view over the pure modules: keys.ts (shortcuts), state.ts
 * (optimistic view state), format.ts, example.ts (the example pane), spans.ts + span_view.ts
 * (the extraction view), figure.ts + chart.ts (the learning curve, drawn after the view is up).
 *
 * The protocol with the kernel is docs/widget-protocol.md. Data from Python reaches the DOM
 * through textContent only, never as HTML.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import "./widget.css";
import { mount_argilla } from "./argilla";
import { create_chart } from "./chart";
import {
  build_context,
  build_image,
  build_table,
  build_text,
  read_context,
  unit_where,
} from "./example";
import { curve_figure, theme_from } from "./figure";
import {
  format_answer,
  format_confidence,
  format_regression,
  format_uncertainty,
  judge_line,
  parse_number,
  progress_text,
} from "./format";
import { mount_guards } from "./guards";
import { render_interview } from "./interview_view";
import { type Action, key_hint, key_to_action } from "./keys";
import { build_span_panel, build_span_text, type SpanHandlers, selection_in } from "./span_view";
import {
  apply_type,
  can_escape,
  clear_spans,
  click_at,
  cycle_span,
  describe_span,
  escape_work,
  index_text,
  move_cursor,
  pick_span,
  remove_selected,
  remove_span,
  type SpanWork,
  select_tokens,
  selected_tokens,
  type TextIndex,
  type Token,
  tokenize,
  tokens_in,
  work_label,
} from "./spans";
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
} from "./state";
import type {
  ClassSpec,
  Item,
  Label,
  Message,
  Progress,
  Source,
  SpanOverlap,
  Task,
  Traits,
} from "./types";

type Model = AnyModel<Traits>;

const TASKS: readonly Task[] = [
  "classification",
  "multilabel",
  "extraction",
  "ranking",
  "regression",
];
const OVERLAPS: readonly SpanOverlap[] = ["forbid", "nested", "allow"];

interface View {
  task: Task;
  classes: ClassSpec[];
  span_overlap: SpanOverlap;
  items: Item[];
  position: number;
  status: string;
  message: string;
  progress: Progress;
  hide_prediction: boolean;
  auto_submit: boolean;
  error: string;
  ack_t: number;
}

/** The traits, with safe defaults for anything missing or malformed. */
function read(model: Model): View {
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const progress = model.get("progress");
  const task = model.get("task") as Task;
  const overlap = model.get("span_overlap") as SpanOverlap;
  return {
    task: TASKS.includes(task) ? task : "classification",
    classes: list<ClassSpec>(model.get("classes")).filter((c) => c && typeof c.name === "string"),
    span_overlap: OVERLAPS.includes(overlap) ? overlap : "forbid",
    items: list<Item>(model.get("items")).filter((it) => it && typeof it.id === "string"),
    position: Number(model.get("position")) || 0,
    status: str(model.get("status")) || "ready",
    message: str(model.get("message")),
    progress: progress && typeof progress === "object" ? progress : {},
    hide_prediction: model.get("hide_prediction") === true,
    auto_submit: model.get("auto_submit") !== false,
    error: str(model.get("error")),
    ack_t: Number(model.get("ack_t")) || 0,
  };
}

type Debug = { __jal_debug?: boolean; __jal_latency?: number[]; __jal_ack_latency?: number[] };

/** Benchmarks: time from a user action to the next example in the DOM (debug flag only). */
function record_latency(t: number): void {
  const w = window as unknown as Debug;
  if (w.__jal_debug !== true) return;
  if (!Array.isArray(w.__jal_latency)) w.__jal_latency = [];
  w.__jal_latency.push(performance.now() - t);
}

/** Benchmarks: time from a user action to Python's acknowledgement (the label is on disk). */
function record_ack(t: number): void {
  const w = window as unknown as Debug;
  if (w.__jal_debug !== true || !(t > 0)) return;
  if (!Array.isArray(w.__jal_ack_latency)) w.__jal_ack_latency = [];
  w.__jal_ack_latency.push(performance.now() - t);
}

function render_label(model: Model, el: HTMLElement): () => void {
  const doc = el.ownerDocument;
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, cls = "", testid = "") => {
    const node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (testid) node.dataset.testid = testid;
    return node;
  };
  const button = (text: string, aria: string, testid: string, key = "") => {
    const b = make("button", "jal-button", testid);
    b.type = "button";
    b.append(text);
    if (key) {
      const k = make("kbd");
      k.textContent = key;
      b.append(k);
    }
    b.setAttribute("aria-label", aria);
    return b;
  };

  const state = new_view_state();
  let pending_t: number | null = null; // `t` of the last action, until the next example shows
  let expanded = false;
  let shown_key = "";
  let shown_id: string | null = null;
  let span_text: HTMLElement | null = null; // extraction: the shown text element
  let number_for: string | null = null; // regression: the item whose value the input holds

  // ------------------------------------------------------------------ skeleton
  const root = make("div", "jal-root", "jal-root");
  root.dataset.mode = "label";
  root.tabIndex = 0;
  // JupyterLab skips its shortcuts under this attribute; keys also stop at the root (below)
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "active learning: label the example");

  const header = make("div", "jal-header");
  const progress = make("div", "jal-progress", "jal-progress");
  progress.setAttribute("aria-live", "polite");
  const bar = make("div", "jal-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", "batch progress");
  const bar_fill = make("div", "jal-bar-fill");
  bar.append(bar_fill);
  header.append(progress, bar);

  const main = make("div", "jal-main");
  const pane = make("section", "jal-pane");
  pane.setAttribute("aria-label", "example");
  // a prediction unit's place in its parent, and a ranking pair's query, above the example
  const where = make("div", "jal-unit-where", "jal-unit-where");
  const query_row = make("div", "jal-query-row");
  const query_name = make("span", "jal-query-name");
  query_name.textContent = "query";
  const query = make("div", "jal-query", "jal-query");
  query.dir = "auto";
  query_row.append(query_name, query);
  const before = make("div", "jal-context-slot");
  const example = make("div", "jal-example", "jal-example");
  const after = make("div", "jal-context-slot");
  const span_panel = make("div", "jal-span-slot"); // extraction: the spans as chips
  const example_tools = make("div", "jal-example-tools");
  const empty = make("div", "jal-empty", "jal-empty");
  pane.append(where, query_row, before, example, after, span_panel, example_tools, empty);

  const side = make("aside", "jal-side");
  side.setAttribute("aria-label", "model");
  const facts = make("dl", "jal-facts");
  const fact = (name: string, testid: string) => {
    const row = make("div", "jal-fact");
    const dt = make("dt");
    dt.textContent = name;
    const dd = make("dd", "", testid);
    dd.dir = "auto";
    row.append(dt, dd);
    facts.append(row);
    return { row, dd };
  };
  const f_prediction = fact("prediction", "jal-prediction");
  const f_confidence = fact("confidence", "jal-confidence");
  const f_uncertainty = fact("uncertainty", "jal-uncertainty");
  const f_strategy = fact("strategy", "jal-strategy");
  const f_reason = fact("why this one", "jal-reason");
  // the LLM judge's suggestion (dimmed): support for the reviewer, never a pre-selected label
  const f_judge = fact("judge's suggestion", "jal-judge");
  f_judge.row.classList.add("jal-judge");
  const f_round = fact("round · rank", "jal-round");
  const f_label = fact("your label", "jal-your-label");
  const last = make("div", "jal-last", "jal-last");
  last.dir = "auto";
  side.append(facts, last);
  main.append(pane, side);

  const labels = make("div", "jal-labels");
  labels.setAttribute("role", "group");
  labels.setAttribute("aria-label", "labels");

  // regression: a number, typed (kept while the item is shown; parsed when sent)
  const number_row = make("div", "jal-number-row");
  const number_input = make("input", "jal-number-input", "jal-number-input");
  number_input.type = "text";
  number_input.inputMode = "decimal";
  number_input.autocomplete = "off";
  number_input.spellcheck = false;
  number_input.placeholder = "a number, e.g. 3.5";
  number_input.setAttribute("aria-label", "your value (Enter sends it, Escape leaves the field)");
  const number_error = make("div", "jal-number-error", "jal-number-error");
  number_error.setAttribute("role", "alert");
  number_error.hidden = true;
  const show_number_error = (text: string) => {
    number_error.textContent = text;
    number_error.hidden = !text;
    number_input.setAttribute("aria-invalid", String(!!text));
  };
  number_input.addEventListener("input", () => show_number_error(""));

  const actions = make("div", "jal-actions");
  const b_prev = button("‹", "previous item (left arrow)", "jal-prev");
  const b_next = button("›", "next item (right arrow)", "jal-next");
  const b_confirm = button("confirm", "confirm the selected labels (Enter)", "jal-confirm", "⏎");
  b_confirm.classList.add("jal-primary");
  const b_skip = button("skip", "skip this example (s)", "jal-skip", "s");
  const b_unsure = button("unsure", "skip this example as unsure (?)", "jal-unsure", "?");
  const b_undo = button("undo", "undo the last label (u)", "jal-undo", "u");
  const b_submit = button(
    "submit batch",
    "submit the batch and train the next round",
    "jal-submit",
  );
  const b_number = button(
    "label",
    "send this value as the label (Enter)",
    "jal-number-submit",
    "⏎",
  );
  b_number.classList.add("jal-primary");
  number_row.append(number_input, b_number, number_error);
  actions.append(b_prev, b_next, b_confirm, b_skip, b_unsure, b_undo, b_submit);

  const status = make("div", "jal-status", "jal-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const error = make("div", "jal-error", "jal-error");
  error.setAttribute("role", "alert");
  error.dir = "auto";

  const footer = make("div", "jal-footer");
  const hint = make("span", "jal-hint");
  const focus_hint = make("span", "jal-focus-hint");
  focus_hint.textContent = "click here to use the keys";
  const checkbox = (text: string, testid: string, setting: "hide_prediction" | "auto_submit") => {
    const label = make("label", "jal-setting");
    const input = make("input", "", testid);
    input.type = "checkbox";
    input.addEventListener("change", () => {
      send({ kind: "settings", [setting]: input.checked });
    });
    label.append(input, ` ${text}`);
    return { label, input };
  };
  const s_hide = checkbox(
    "hide prediction until labeled",
    "jal-hide-prediction",
    "hide_prediction",
  );
  const s_auto = checkbox("submit when the batch is done", "jal-auto-submit", "auto_submit");
  footer.append(hint, focus_hint, s_hide.label, s_auto.label);

  const curve = make("div", "jal-curve", "jal-curve");
  curve.setAttribute("role", "img");
  curve.setAttribute("aria-label", "learning curve and labels per class");

  root.append(header, main, labels, actions, status, error, footer, curve);
  el.append(root);
  const unmount_argilla = mount_argilla(model as never, root); // team review (#4)
  const unmount_guards = mount_guards(model as never, root); // failure-mode checks (#5)

  // ------------------------------------------------------------------ messages
  function send(msg: Message): void {
    model.send(msg);
  }

  // ------------------------------------------------------------------ label buttons
  const label_buttons = new Map<string, HTMLButtonElement>();
  let labels_key = "";
  function build_labels(v: View): void {
    const key = JSON.stringify([v.task, v.classes]);
    if (key === labels_key) return;
    labels_key = key;
    labels.textContent = "";
    label_buttons.clear();
    const multi = v.task === "multilabel";
    const spans = v.task === "extraction";
    b_confirm.setAttribute(
      "aria-label",
      spans ? "confirm the spans (Enter)" : "confirm the selected labels (Enter)",
    );
    if (v.task === "regression") {
      labels.append(number_row);
      hint.textContent =
        "keys: type a number · Enter send · Esc leave the field · s skip · ? unsure · u undo · ←/→ move";
      return;
    }
    const verb = multi ? "toggle" : spans ? "span type" : v.task === "ranking" ? "grade" : "label";
    v.classes.forEach((c, i) => {
      const b = make("button", "jal-button jal-label", "jal-label-button");
      b.type = "button";
      b.dataset.label = c.name;
      const name = make("span", "jal-label-name");
      name.dir = "auto";
      name.textContent = c.name;
      b.append(name);
      const k = key_hint(v.classes, i);
      if (k) {
        const kbd = make("kbd");
        kbd.textContent = k;
        b.append(kbd);
        b.setAttribute("aria-keyshortcuts", k);
      }
      b.setAttribute("aria-label", `${verb} ${c.name}${k ? ` (key ${k})` : ""}`);
      if (multi) b.setAttribute("aria-pressed", "false");
      if (spans) b.classList.add(`jal-type-${i % 8}`);
      if (c.description) b.title = c.description;
      const action: Action = multi
        ? { kind: "toggle", label: c.name }
        : spans
          ? { kind: "span_type", label: c.name }
          : { kind: "label", label: c.name };
      b.addEventListener("click", () => act(action, "click"));
      labels.append(b);
      label_buttons.set(c.name, b);
    });
    if (spans) {
      hint.textContent =
        "keys: ←/→ token · shift+←/→ extend · type key adds · Tab next span · Delete remove · " +
        "Esc clear · Enter confirm · s skip · ? unsure · u undo";
      return;
    }
    const keys = multi
      ? "keys: labels toggle · Enter confirm"
      : v.task === "ranking"
        ? "keys: grades"
        : "keys: labels";
    hint.textContent = `${keys} · s skip · ? unsure · u undo · ←/→ move`;
  }

  // ------------------------------------------------------------------ extraction
  let text_memo: { text: string; ix: TextIndex; tokens: Token[] } | null = null;
  function text_info(item: Item): { ix: TextIndex; tokens: Token[] } {
    const text = typeof item.text === "string" ? item.text : "";
    if (text_memo?.text !== text) {
      const ix = index_text(text);
      text_memo = { text, ix, tokens: tokenize(ix) };
    }
    return text_memo;
  }
  // the prediction is hidden until labeled: then the model's spans are not proposed either
  const work_of = (item: Item, v: View) => work_for(state, item, !v.hide_prediction);

  /** Change the shown item's span editor (`editing`: not while Python trains). */
  function edit_spans(
    change: (work: SpanWork, info: { ix: TextIndex; tokens: Token[] }, v: View) => SpanWork,
    editing: boolean,
  ): void {
    const v = read(model);
    const idx = shown_index(state, v.items, v.position);
    const item = idx >= 0 ? v.items[idx] : null;
    if (!item || v.task !== "extraction") return;
    if (editing && (busy(v) || sealed(v))) return;
    state.span_work.set(item.id, change(work_of(item, v), text_info(item), v));
    update();
  }

  /** The mouse's selection in the text, when there is one, becomes the editor's selection. */
  function take_selection(work: SpanWork, ix: TextIndex, tokens: Token[]): SpanWork {
    const sel = span_text?.isConnected ? selection_in(span_text, ix) : null;
    const r = sel ? tokens_in(ix, tokens, sel[0], sel[1]) : null;
    if (!r) return work;
    el.ownerDocument.getSelection()?.removeAllRanges();
    return select_tokens(work, r[0], r[1]);
  }

  const span_handlers: SpanHandlers = {
    select: (start, end) =>
      edit_spans((w, { ix, tokens }) => {
        const r = tokens_in(ix, tokens, start, end);
        return r ? select_tokens(w, r[0], r[1]) : { ...w, note: "only spaces selected" };
      }, false),
    click: (at) => edit_spans((w, { tokens }) => click_at(w, at, tokens), false),
    pick: (i) => edit_spans((w) => pick_span(w, i), false),
    remove: (i) => edit_spans((w, { ix }) => remove_span(w, i, ix), true),
    clear: () => edit_spans((w) => clear_spans(w), true),
  };

  /** The note under the spans: the last edit's, else what the selection is. */
  function span_note(work: SpanWork, ix: TextIndex, tokens: Token[]): string {
    if (work.note) return work.note;
    const sel = work.anchor === null ? null : selected_tokens(work);
    if (sel && tokens[sel[0]] && tokens[sel[1]]) {
      const s = { start: tokens[sel[0]].start, end: tokens[sel[1]].end, type: "selected" };
      return `${describe_span(s, ix, 60)}: press a type's key or click a type`;
    }
    const picked = work.selected === null ? null : work.spans[work.selected];
    if (picked) return `${describe_span(picked, ix, 60)}: a type changes it, Delete removes it`;
    return "";
  }

  // ------------------------------------------------------------------ actions
  const busy = (v: View) => v.status === "training" || v.status === "stopped";
  // the batch is complete and Python submits it by itself: an undo would reach the next round
  const sealed = (v: View) =>
    v.auto_submit &&
    v.status === "ready" &&
    v.items.length > 0 &&
    n_done(state, v.items) === v.items.length;

  function send_label(item: Item, label: Label, source: Source, t: number): void {
    send({ kind: "label", item_id: item.id, label, source, t });
    record_action(state, item, "labeled", label, t);
    pending_t = t;
  }

  function act(action: Action, source: Source): void {
    const v = read(model);
    const idx = shown_index(state, v.items, v.position);
    const item = idx >= 0 ? v.items[idx] : null;
    const t = performance.now();
    // while Python trains, or is about to (auto-submit), a label would land in the next round
    const blocked = busy(v) || sealed(v);
    switch (action.kind) {
      case "label":
        if (!item || blocked) return;
        send_label(item, action.label, source, t);
        break;
      case "toggle":
        if (!item || blocked) return;
        state.toggles = toggle_label(toggles_for(state, item), action.label, v.classes);
        break;
      case "confirm":
        if (!item || blocked) return;
        if (v.task === "extraction") send_label(item, work_label(work_of(item, v)), source, t);
        else send_label(item, [...toggles_for(state, item)], source, t);
        break;
      case "span_type":
        edit_spans(
          (w, { ix, tokens }, v) =>
            apply_type(take_selection(w, ix, tokens), action.label, tokens, v.span_overlap, ix),
          true,
        );
        return;
      case "cursor":
        edit_spans(
          (w, { tokens }) => move_cursor(w, tokens.length, action.delta, action.extend),
          false,
        );
        return;
      case "cycle":
        edit_spans((w, { tokens }) => cycle_span(w, action.delta, tokens), false);
        return;
      case "remove_span":
        edit_spans((w, { ix }) => remove_selected(w, ix), true);
        return;
      case "clear_spans":
        edit_spans((w) => clear_spans(w), true);
        return;
      case "escape":
        edit_spans((w) => escape_work(w), false);
        return;
      case "number": {
        if (!item || blocked) return;
        const parsed = parse_number(number_input.value);
        if (parsed.error !== undefined) {
          show_number_error(parsed.error);
          return;
        }
        show_number_error("");
        send_label(item, parsed.value, source, t);
        break;
      }
      case "focus_number":
        number_input.focus();
        return;
      case "leave_input":
        root.focus({ preventScroll: true });
        return;
      case "skip":
      case "unsure":
        if (!item || blocked) return;
        send({ kind: "skip", item_id: item.id, unsure: action.kind === "unsure", t });
        record_action(state, item, "skipped", null, t);
        pending_t = t;
        break;
      case "undo":
        if (blocked) return;
        send({ kind: "undo", t });
        if (record_undo(state, v.items, t) !== null) pending_t = t;
        break;
      case "move":
        move(state, v.items, idx, action.delta);
        break;
    }
    update();
  }

  // ------------------------------------------------------------------ drawing
  function empty_text(v: View): string {
    if (v.status === "training") return "training… the next batch is on its way";
    if (v.status === "stopped") return v.message || "the loop has stopped";
    if (!v.items.length) return "no open batch";
    return v.auto_submit
      ? "batch complete: the next round starts…"
      : "batch complete: submit it to train the next round (or undo to change a label)";
  }

  function draw_example(item: Item | null, v: View): void {
    if (!item || item.id !== shown_id) expanded = false;
    const spans =
      !!item && v.task === "extraction" && item.kind !== "table" && item.kind !== "image";
    const work = item && spans ? work_of(item, v) : null;
    // the span editor redraws on each of its changes; other examples once per item
    const key = item
      ? JSON.stringify([item.id, v.task, expanded, work, work && (busy(v) || sealed(v))])
      : `\u0000${empty_text(v)}`;
    if (key === shown_key) return;
    shown_key = key;
    const changed = (item?.id ?? null) !== shown_id;
    shown_id = item?.id ?? null;
    example.textContent = "";
    example_tools.textContent = "";
    span_panel.textContent = "";
    before.textContent = "";
    after.textContent = "";
    span_text = null;
    example.hidden = !item;
    empty.hidden = !!item;
    const context = item ? read_context(item.context) : null;
    where.hidden = !context;
    where.textContent = context ? unit_where(context) : "";
    example.classList.toggle("jal-unit", !!context);
    const q = item && typeof item.query === "string" ? item.query : null;
    query_row.hidden = q === null;
    query.textContent = q ?? "";
    if (context) {
      const b = build_context(doc, context, "before");
      const a = build_context(doc, context, "after");
      if (b) before.append(b);
      if (a) after.append(a);
    }
    if (!item) {
      empty.textContent = empty_text(v);
      example.removeAttribute("data-item-id");
    } else {
      example.dataset.itemId = item.id;
      example.dataset.kind = item.kind;
      if (work) {
        // the whole text, never collapsed: spans may sit anywhere in it
        const { ix, tokens } = text_info(item);
        const type_index = (type: string) => v.classes.findIndex((c) => c.name === type);
        span_text = build_span_text(doc, ix, tokens, work, type_index, span_handlers);
        example.append(span_text);
        const note = span_note(work, ix, tokens);
        const blocked = busy(v) || sealed(v);
        span_panel.append(
          build_span_panel(doc, ix, work, type_index, note, span_handlers, blocked),
        );
      } else if (item.kind === "table") {
        example.append(build_table(doc, item.fields));
      } else if (item.kind === "image") {
        example.append(build_image(doc, item.image));
      } else {
        const { node, toggle } = build_text(doc, item.text, expanded);
        example.append(node);
        if (toggle) {
          toggle.addEventListener("click", () => {
            expanded = !expanded;
            update();
          });
          example_tools.append(toggle);
        }
      }
    }
    if (changed && pending_t !== null) {
      if (item) record_latency(pending_t);
      pending_t = null;
    }
  }

  function draw_side(item: Item | null, v: View): void {
    facts.hidden = !item;
    if (item) {
      const eff = effective(item, state);
      const hide = v.hide_prediction && eff.status === "pending";
      f_prediction.dd.textContent = hide ? "hidden until you label" : said(item, v);
      f_prediction.dd.classList.toggle("jal-muted", hide);
      f_confidence.dd.textContent = hide ? "hidden" : format_confidence(item.confidence);
      f_confidence.dd.classList.toggle("jal-muted", hide);
      f_uncertainty.dd.textContent = format_uncertainty(item.uncertainty);
      f_strategy.dd.textContent = String(item.strategy ?? "");
      f_reason.dd.textContent = String(item.reason ?? "");
      const judge = judge_line(item.judge);
      f_judge.row.hidden = !judge;
      // the same anti-anchoring as the prediction: hidden until labeled when asked
      f_judge.dd.textContent = judge && hide ? "hidden until you label" : judge;
      f_judge.dd.title = judge && !hide ? judge_line(item.judge, 100_000) : "";
      f_round.dd.textContent = `${item.round ?? "—"} · #${item.rank ?? "—"}`;
      f_label.row.hidden = eff.status === "pending";
      f_label.dd.textContent = eff.status === "skipped" ? "skipped" : yours(item, eff.label, v);
    }
    // the page's previous action and what the model had said (feedback after labeling)
    const prev_id = state.history[state.history.length - 1];
    const prev = prev_id !== item?.id ? v.items.find((it) => it.id === prev_id) : undefined;
    last.hidden = !prev;
    if (prev) {
      const eff = effective(prev, state);
      const gave = eff.status === "skipped" ? "skipped" : yours(prev, eff.label, v);
      last.textContent = `previous: ${gave} · model said ${said(prev, v)}`;
    }
  }

  /** The model's prediction as the task shows it (regression: with its interval). */
  function said(item: Item, v: View): string {
    if (v.task === "regression") return format_regression(item.prediction, item.interval);
    return format_answer(v.task, item.prediction, { text: item.text, classes: v.classes });
  }

  function yours(item: Item, label: Label | null, v: View): string {
    return format_answer(v.task, label, { text: item.text, classes: v.classes });
  }

  function draw_controls(item: Item | null, idx: number, v: View): void {
    const blocked = busy(v) || sealed(v);
    const multi = v.task === "multilabel";
    const spans = v.task === "extraction";
    const selected = item && multi ? toggles_for(state, item) : [];
    const eff = item ? effective(item, state) : null;
    const work = item && spans ? work_of(item, v) : null;
    const picked = work && work.selected !== null ? work.spans[work.selected]?.type : undefined;
    for (const [name, b] of label_buttons) {
      b.disabled = !item || blocked;
      if (multi) {
        const on = selected.includes(name);
        b.setAttribute("aria-pressed", String(on));
        b.classList.toggle("jal-on", on);
      } else if (spans) {
        b.classList.toggle("jal-on", picked === name); // the selected span's type
      } else {
        b.classList.toggle("jal-on", eff?.status === "labeled" && same_label(eff.label, name));
      }
    }
    b_confirm.hidden = !(multi || spans);
    b_confirm.disabled = !item || blocked;
    if (v.task === "regression" && (item?.id ?? null) !== number_for) {
      // a new item: its label when it has one, else empty (the prediction is never prefilled)
      number_for = item?.id ?? null;
      const label = eff?.status === "labeled" ? eff.label : null;
      number_input.value = typeof label === "number" ? String(label) : "";
      show_number_error("");
    }
    number_input.disabled = !item;
    b_number.disabled = !item || blocked;
    b_skip.disabled = !item || blocked;
    b_unsure.disabled = !item || blocked;
    const done = n_done(state, v.items);
    b_undo.disabled = blocked || done === 0;
    b_submit.disabled = busy(v) || sealed(v) || !v.items.length;
    b_submit.classList.toggle("jal-primary", !v.auto_submit && done === v.items.length);
    b_prev.disabled = !v.items.length || idx === 0;
    b_next.disabled = !v.items.length || idx < 0 || idx >= v.items.length - 1;
    s_hide.input.checked = v.hide_prediction;
    s_auto.input.checked = v.auto_submit;
  }

  function draw_status(v: View): void {
    status.textContent = v.status === "training" ? "training…" : v.message;
    status.dataset.status = v.status;
    root.dataset.status = v.status;
    error.textContent = v.error;
    error.hidden = !v.error;
  }

  function draw_progress(idx: number, v: View): void {
    const n_labeled = (Number(v.progress.n_labeled) || 0) + label_delta(state, v.items);
    progress.textContent = progress_text({
      n_labeled,
      item_index: idx,
      n_items: v.items.length,
      budget: typeof v.progress.budget === "string" ? v.progress.budget : "",
    });
    const done = n_done(state, v.items);
    const size = v.items.length;
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(size));
    bar.setAttribute("aria-valuenow", String(done));
    bar_fill.style.width = `${size ? (100 * done) / size : 0}%`;
  }

  function update(): void {
    const v = read(model);
    build_labels(v);
    const idx = shown_index(state, v.items, v.position);
    const item = idx >= 0 ? v.items[idx] : null;
    draw_example(item, v);
    draw_side(item, v);
    draw_controls(item, idx, v);
    draw_status(v);
    draw_progress(idx, v);
  }

  // ------------------------------------------------------------------ input
  const on_key = (e: KeyboardEvent) => {
    if (e.isComposing) return;
    const v = read(model);
    const idx = shown_index(state, v.items, v.position);
    const item = idx >= 0 ? v.items[idx] : null;
    const target = e.target as HTMLElement | null;
    const on_control =
      !!target && target !== root && /^(BUTTON|INPUT|SELECT|TEXTAREA|A)$/.test(target.tagName);
    const in_text = is_text_entry(target);
    // typing stays in the field: no notebook shortcut and no hotkey of ours sees it
    if (in_text) e.stopPropagation();
    const work = item && v.task === "extraction" ? work_of(item, v) : null;
    const action = key_to_action(e, v.classes, v.task, {
      has_item: !!item,
      n_items: v.items.length,
      on_control,
      in_text,
      spans: work
        ? { n: work.spans.length, selected: work.selected, active: can_escape(work) }
        : undefined,
    });
    if (!action) return; // not ours: let it reach the page
    e.stopPropagation(); // never let a label key reach the notebook (1 = heading, etc.)
    if (action.kind === "focus_number") {
      act(action, "key"); // no preventDefault: the key goes on to type into the field
      return;
    }
    e.preventDefault();
    if (e.repeat && !REPEATING.has(action.kind)) return; // a held key labels once
    act(action, "key");
  };
  const on_click = (e: MouseEvent) => {
    const target = e.target as HTMLElement | null;
    // keep the keys working after a click; the settings checkboxes keep their own focus
    if (target?.tagName !== "INPUT") root.focus({ preventScroll: true });
  };
  const on_mouseup = (e: MouseEvent) => {
    // extraction: a drag that started in the text and ended elsewhere in the widget
    if (!span_text?.isConnected || span_text.contains(e.target as Node)) return;
    const v = read(model);
    const idx = shown_index(state, v.items, v.position);
    if (idx < 0) return;
    const sel = selection_in(span_text, text_info(v.items[idx]).ix);
    if (!sel) return;
    el.ownerDocument.getSelection()?.removeAllRanges();
    span_handlers.select(sel[0], sel[1]);
  };
  root.addEventListener("keydown", on_key);
  root.addEventListener("click", on_click);
  root.addEventListener("mouseup", on_mouseup);
  for (const [b, action] of [
    [b_number, { kind: "number" }],
    [b_prev, { kind: "move", delta: -1 }],
    [b_next, { kind: "move", delta: 1 }],
    [b_confirm, { kind: "confirm" }],
    [b_skip, { kind: "skip" }],
    [b_unsure, { kind: "unsure" }],
    [b_undo, { kind: "undo" }],
  ] as [HTMLButtonElement, Action][]) {
    b.addEventListener("click", () => act(action, "click"));
  }
  b_submit.addEventListener("click", () => {
    if (!busy(read(model))) send({ kind: "submit", t: performance.now() });
  });

  // ------------------------------------------------------------------ traits
  const on_items = () => {
    const v = read(model);
    reconcile(state, v.items, v.ack_t);
    update();
  };
  const chart = create_chart(curve, () =>
    curve_figure(model.get("curve"), model.get("class_counts"), theme_of(root)),
  );
  const on_curve = () => chart.invalidate();
  const handlers: [string, () => void][] = [
    ["change:items", on_items],
    ["change:position", on_items],
    [
      "change:ack_t",
      () => {
        record_ack(Number(model.get("ack_t")) || 0);
        on_items();
      },
    ],
    ["change:classes", update],
    ["change:task", update],
    ["change:span_overlap", update],
    ["change:status", update],
    ["change:message", update],
    ["change:progress", update],
    ["change:hide_prediction", update],
    ["change:auto_submit", update],
    ["change:error", update],
    ["change:curve", on_curve],
    ["change:class_counts", on_curve],
  ];
  for (const [name, h] of handlers) model.on(name, h);

  on_items();
  root.focus({ preventScroll: true });

  return () => {
    for (const [name, h] of handlers) model.off(name, h);
    root.removeEventListener("keydown", on_key);
    root.removeEventListener("click", on_click);
    root.removeEventListener("mouseup", on_mouseup);
    chart.dispose();
    unmount_argilla();
    unmount_guards();
    root.remove();
  };
}

/** Actions a held key repeats (moving around); the others happen once per press. */
const REPEATING = new Set<Action["kind"]>(["move", "cursor", "cycle"]);

/** A field that takes typing (not a checkbox or a button). */
function is_text_entry(node: HTMLElement | null): boolean {
  if (!node) return false;
  if (node.tagName === "TEXTAREA" || node.isContentEditable) return true;
  if (node.tagName !== "INPUT") return false;
  const type = (node as HTMLInputElement).type;
  return !/^(checkbox|radio|button|submit|reset|range|color|file|image)$/.test(type);
}

type Mode = "interview" | "label";
const mode_of = (model: Model): Mode => (model.get("mode") === "interview" ? "interview" : "label");

function render({ model, el }: RenderProps<Traits>) {
  let shown: Mode | null = null;
  let cleanup: (() => void) | null = null;
  const show = () => {
    const mode = mode_of(model);
    if (mode === shown) return;
    cleanup?.();
    shown = mode;
    cleanup = mode === "interview" ? render_interview(model, el) : render_label(model, el);
  };
  model.on("change:mode", show);
  show();
  return () => {
    model.off("change:mode", show);
    cleanup?.();
    cleanup = null;
  };
}

function theme_of(node: HTMLElement) {
  const css = getComputedStyle(node);
  return theme_from({
    color: css.color,
    accent: css.getPropertyValue("--jal-accent"),
    stop: css.getPropertyValue("--jal-error"),
    judge: css.getPropertyValue("--jal-judge"),
    font_family: css.fontFamily,
  });
}

export default { render };
