// A small stand-in for the anywidget model: traits in a dict, change events, sent messages.
import { vi } from "vitest";
import type { ClassSpec, Item, Traits } from "../src/types";
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
