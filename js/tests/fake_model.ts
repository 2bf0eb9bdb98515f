// A small stand-in for the anywidget model: traits in a dict, change events, sent messages.
import { vi } from "vitest";
import type { ClassSpec, InterviewTrait, Item, Traits } from "../src/types";
import widget from "../src/widget";

type Handler = () => void;

export const CLASSES: ClassSpec[] = [
  { name: "ham", key: "1", description: "a normal message" },
  { name: "spam", key: "2", description: "unwanted mail" },
  { name: "other", key: "3", description: "" },
];

export function item(id: string, extra: Partial<Item> = {}): Item {
  return {
    id,
    kind: "text",
    text: `text of ${id}`,
    prediction: "spam",
    confidence: 0.734,
    uncertainty: 0.4129,
    strategy: "margin",
    reason: `margin 0.04 between spam and ham (${id})`,
    rank: 1,
    round: 3,
    status: "pending",
    label: null,
    ...extra,
  };
}

export function defaults(): Traits {
  return {
    task: "classification",
    classes: CLASSES,
    span_overlap: "forbid",
    items: [item("a", { rank: 1 }), item("b", { rank: 2 }), item("c", { rank: 3 })],
    position: 0,
    status: "ready",
    message: "",
    progress: {
      round: 3,
      n_labeled: 12,
      batch_done: 0,
      batch_size: 3,
      budget: "88 of 100 labels left",
    },
    curve: { metric: "f1_macro", x: [10, 20], y: [0.6, 0.7], rounds: [1, 2], stop: null },
    class_counts: { ham: 7, spam: 5 },
    hide_prediction: false,
    auto_submit: true,
    error: "",
    ack_t: 0,
    mode: "label",
    interview: {},
  };
}

export function fake_model(init: Partial<Traits> = {}) {
  const state: Record<string, unknown> = { ...defaults(), ...init };
  const handlers = new Map<string, Set<Handler>>();
  const sent: Record<string, unknown>[] = [];
  const fire = (name: string) => {
    for (const h of [...(handlers.get(`change:${name}`) ?? [])]) h();
  };
  return {
    sent,
    state,
    get: (k: string) => state[k],
    set: (k: string, v: unknown) => {
      state[k] = v;
      fire(k);
    },
    /** Several traits at once, events after all are set (like Python's hold_sync). */
    push(changes: Partial<Traits>) {
      Object.assign(state, changes);
      for (const k of Object.keys(changes)) fire(k);
    },
    save_changes: vi.fn(),
    send: vi.fn((msg: Record<string, unknown>) => {
      sent.push(msg);
    }),
    on: (ev: string, h: Handler) => {
      if (!handlers.has(ev)) handlers.set(ev, new Set());
      handlers.get(ev)?.add(h);
    },
    off: (ev: string, h: Handler) => {
      handlers.get(ev)?.delete(h);
    },
    n_handlers: () => [...handlers.values()].reduce((n, s) => n + s.size, 0),
    widget_manager: {},
  };
}

export type FakeModel = ReturnType<typeof fake_model>;

/** Render the widget into a fresh element attached to the document. */
export function mount(init: Partial<Traits> = {}) {
  const model = fake_model(init);
  const el = document.createElement("div");
  document.body.append(el);
  // biome-ignore lint/suspicious/noExplicitAny: the fake model stands in for AnyModel
  const cleanup = widget.render({ model, el } as any) as () => void;
  const q = <T extends Element = HTMLElement>(sel: string) => el.querySelector(sel) as T | null;
  const root = q(".jal-root") as HTMLElement;
  const text = (testid: string) => q(`[data-testid="${testid}"]`)?.textContent ?? null;
  const key = (k: string, opts: KeyboardEventInit = {}, target: Element = root) => {
    const ev = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...opts });
    target.dispatchEvent(ev);
    return ev;
  };
  const click = (sel: string) => (q(sel) as HTMLButtonElement).click();
  const shown = () => q('[data-testid="jal-example"]')?.getAttribute("data-item-id") ?? null;
  return { model, el, root, cleanup, q, text, key, click, shown };
}

/** An `interview` trait as Python pushes it for `Session(df)` (answers from default_answers). */
export function interview_trait(extra: Partial<InterviewTrait> = {}): InterviewTrait {
  return {
    answers: {
      source: { kind: "dataframe", name: "df" },
      task: "classification",
      prediction_unit: "row",
      text: null,
      features: null,
      label_column: null,
      labels: [],
      metric: "default",
      strategy: "default",
      batch_size: 10,
      holdout: { kind: "fraction", fraction: 0.2, label_column: null },
      budget: {
        max_labels: null,
        max_rounds: null,
        max_minutes: null,
        max_cost: null,
        cost_per_label: null,
      },
      llm_judge: false,
    },
    errors: {
      text: "choose the column with the text to label (or numeric feature columns)",
      labels: "add at least 2 labels (or pick a label column to read them from)",
    },
    code: "from jupyter_al import Session\nsession = Session(df, holdout=0.2, batch_size=10)",
    summary: {
      n_rows: 1200,
      columns: [
        { name: "review", dtype: "object", kind: "text", n_missing: 0, example: "great phone" },
        { name: "stars", dtype: "int64", kind: "numeric", n_missing: 0, example: "5" },
        { name: "length", dtype: "float64", kind: "numeric", n_missing: 3, example: "12.5" },
        { name: "sentiment", dtype: "object", kind: "category", n_missing: 900, example: "pos" },
      ],
      text_candidates: ["review"],
      numeric_candidates: ["stars", "length"],
      label_candidates: ["sentiment"],
    },
    label_status: {},
    choices: {
      tasks: {
        classification: "ready",
        multilabel: "ready",
        ranking: "coming",
        extraction: "coming",
        other: "coming",
      },
      units: {
        row: "ready",
        document: "coming",
        sentence: "coming",
        chunk: "coming",
        message: "coming",
      },
      metrics: ["default", "accuracy", "f1_macro", "balanced_accuracy"],
      strategies: ["default", "margin", "entropy", "random"],
    },
    ...extra,
  };
}
