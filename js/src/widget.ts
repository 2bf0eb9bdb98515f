/**
 * The widget (anywidget): render({ model, el }) shows the view of the `mode` trait: the
 * interview form (interview_view.ts) or the labeling view, re-rendered from scratch when the
 * mode changes, so only one of them exists, listens and sends at a time.
 *
 * The labeling view is a thin view over the pure modules: keys.ts (shortcuts), state.ts
 * (optimistic view state), format.ts, example.ts (the example pane), figure.ts + chart.ts (the
 * learning curve, drawn after the view is up).
 *
 * The protocol with the kernel is docs/widget-protocol.md. Data from Python reaches the DOM
 * through textContent only, never as HTML.
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import "./widget.css";
import { mount_argilla } from "./argilla";
import { create_chart } from "./chart";
import { build_image, build_table, build_text } from "./example";
import { curve_figure, theme_from } from "./figure";
import {
  format_confidence,
  format_label,
  format_uncertainty,
  judge_line,
  progress_text,
} from "./format";
import { mount_guards } from "./guards";
import { render_interview } from "./interview_view";
import { type Action, key_hint, key_to_action } from "./keys";
import {
  effective,
  label_delta,
  move,
  n_done,
  new_view_state,
  reconcile,
  record_action,
  record_undo,
  shown_index,
  toggle_label,
  toggles_for,
} from "./state";
import type { ClassSpec, Item, Label, Message, Progress, Source, Task, Traits } from "./types";

type Model = AnyModel<Traits>;

interface View {
  task: Task;
  classes: ClassSpec[];
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
  return {
    task: model.get("task") === "multilabel" ? "multilabel" : "classification",
    classes: list<ClassSpec>(model.get("classes")).filter((c) => c && typeof c.name === "string"),
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
  const example = make("div", "jal-example", "jal-example");
  const example_tools = make("div", "jal-example-tools");
  const empty = make("div", "jal-empty", "jal-empty");
  pane.append(example, example_tools, empty);

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
      b.setAttribute(
        "aria-label",
        `${multi ? "toggle" : "label"} ${c.name}${k ? ` (key ${k})` : ""}`,
      );
      if (multi) b.setAttribute("aria-pressed", "false");
      if (c.description) b.title = c.description;
      b.addEventListener("click", () =>
        act(multi ? { kind: "toggle", label: c.name } : { kind: "label", label: c.name }, "click"),
      );
      labels.append(b);
      label_buttons.set(c.name, b);
    });
    const keys = multi ? "keys: labels toggle · Enter confirm" : "keys: labels";
    hint.textContent = `${keys} · s skip · ? unsure · u undo · ←/→ move`;
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
        send_label(item, [...toggles_for(state, item)], source, t);
        break;
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
    const key = item ? `${item.id}\u0000${expanded}` : `\u0000${empty_text(v)}`;
    if (key === shown_key) return;
    shown_key = key;
    const changed = (item?.id ?? null) !== shown_id;
    shown_id = item?.id ?? null;
    example.textContent = "";
    example_tools.textContent = "";
    example.hidden = !item;
    empty.hidden = !!item;
    if (!item) {
      empty.textContent = empty_text(v);
      example.removeAttribute("data-item-id");
    } else {
      example.dataset.itemId = item.id;
      example.dataset.kind = item.kind;
      if (item.kind === "table") {
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
      f_prediction.dd.textContent = hide ? "hidden until you label" : format_label(item.prediction);
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
      f_label.dd.textContent = eff.status === "skipped" ? "skipped" : format_label(eff.label);
    }
    // the page's previous action and what the model had said (feedback after labeling)
    const prev_id = state.history[state.history.length - 1];
    const prev = prev_id !== item?.id ? v.items.find((it) => it.id === prev_id) : undefined;
    last.hidden = !prev;
    if (prev) {
      const eff = effective(prev, state);
      const yours = eff.status === "skipped" ? "skipped" : format_label(eff.label);
      last.textContent = `previous: ${yours} · model said ${format_label(prev.prediction)}`;
    }
  }

  function draw_controls(item: Item | null, idx: number, v: View): void {
    const blocked = busy(v) || sealed(v);
    const multi = v.task === "multilabel";
    const selected = item && multi ? toggles_for(state, item) : [];
    const eff = item ? effective(item, state) : null;
    for (const [name, b] of label_buttons) {
      b.disabled = !item || blocked;
      if (multi) {
        const on = selected.includes(name);
        b.setAttribute("aria-pressed", String(on));
        b.classList.toggle("jal-on", on);
      } else {
        b.classList.toggle("jal-on", eff?.status === "labeled" && eff.label === name);
      }
    }
    b_confirm.hidden = !multi;
    b_confirm.disabled = !item || blocked;
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
    const target = e.target as HTMLElement | null;
    const on_control =
      !!target && target !== root && /^(BUTTON|INPUT|SELECT|TEXTAREA|A)$/.test(target.tagName);
    const action = key_to_action(e, v.classes, v.task, {
      has_item: idx >= 0,
      n_items: v.items.length,
      on_control,
    });
    if (!action) return; // not ours: let it reach the page
    e.preventDefault();
    e.stopPropagation(); // never let a label key reach the notebook (1 = heading, etc.)
    if (e.repeat && action.kind !== "move") return; // a held key labels once
    act(action, "key");
  };
  const on_click = (e: MouseEvent) => {
    const target = e.target as HTMLElement | null;
    // keep the keys working after a click; the settings checkboxes keep their own focus
    if (target?.tagName !== "INPUT") root.focus({ preventScroll: true });
  };
  root.addEventListener("keydown", on_key);
  root.addEventListener("click", on_click);
  for (const [b, action] of [
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
    chart.dispose();
    unmount_argilla();
    unmount_guards();
    root.remove();
  };
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
