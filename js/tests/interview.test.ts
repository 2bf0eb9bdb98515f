import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// happy-dom has no layout for plotly: the glue module is replaced (see plot.ts)
vi.mock("../src/plot", () => ({
  draw: vi.fn(async () => {}),
  resize: vi.fn(),
  purge: vi.fn(),
}));

import type { Answers, InterviewTrait, Traits } from "../src/types";
import widget from "../src/widget";
import { fake_model, interview_trait, mount } from "./fake_model";

type Win = Window & { __jal_pwned?: number };
const win = window as Win;

let mounted: ReturnType<typeof mount>[] = [];
function form(init: Partial<Traits> = {}) {
  const v = mount({ mode: "interview", interview: interview_trait(), ...init });
  mounted.push(v);
  const by = <T extends HTMLElement = HTMLInputElement>(testid: string) =>
    v.q<T>(`[data-testid="${testid}"]`) as T;
  const type = (testid: string, value: string) => {
    const input = by<HTMLInputElement>(testid);
    input.focus();
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    return input;
  };
  const choose = (testid: string, value: string) => {
    const select = by<HTMLSelectElement>(testid);
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const sent = () => v.model.sent as { kind: string; answers: Answers; t: number }[];
  const last = () => sent()[sent().length - 1];
  /** Python's reply: the trait for the answers it got (plus changes). */
  const reply = (extra: Partial<InterviewTrait> = {}) =>
    v.model.push({ interview: interview_trait({ answers: last().answers, errors: {}, ...extra }) });
  return { ...v, by, type, choose, sent, last, reply };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  for (const v of mounted) {
    v.cleanup();
    v.el.remove();
  }
  mounted = [];
  delete win.__jal_pwned;
});

const TEST_IDS = [
  "jal-interview",
  "jal-iv-source-kind-dataframe",
  "jal-iv-source-kind-file",
  "jal-iv-source-kind-sql",
  "jal-iv-source-name",
  "jal-iv-source-path",
  "jal-iv-source-query",
  "jal-iv-source-url",
  "jal-iv-label-column",
  "jal-iv-label-status",
  "jal-iv-task-classification",
  "jal-iv-task-ranking",
  "jal-iv-unit-row",
  "jal-iv-unit-sentence",
  "jal-iv-text",
  "jal-iv-feature-stars",
  "jal-iv-feature-length",
  "jal-iv-labels-from-column",
  "jal-iv-label-add",
  "jal-iv-metric",
  "jal-iv-strategy",
  "jal-iv-batch-size",
  "jal-iv-holdout-kind-fraction",
  "jal-iv-holdout-kind-dataframe",
  "jal-iv-holdout-kind-file",
  "jal-iv-holdout-kind-none",
  "jal-iv-holdout-fraction",
  "jal-iv-holdout-name",
  "jal-iv-holdout-path",
  "jal-iv-holdout-label-column",
  "jal-iv-budget-max_labels",
  "jal-iv-budget-max_rounds",
  "jal-iv-budget-max_minutes",
  "jal-iv-budget-max_cost",
  "jal-iv-budget-cost_per_label",
  "jal-iv-llm-judge",
  "jal-iv-code",
  "jal-iv-copy",
  "jal-iv-submit",
];

describe("rendering", () => {
  it("shows every section in order, and no labeling view", () => {
    const v = form();

    const legends = [...v.el.querySelectorAll("fieldset > legend")].map((l) => l.textContent);
    expect(legends).toEqual([
      "Data source",
      "Your data",
      "Labeled?",
      "Task type",
      "Prediction unit",
      "What to label",
      "Label schema",
      "Metric and strategy",
      "Held-out set",
      "Budget",
      "LLM judge",
      "Copy as code",
    ]);
    for (const id of TEST_IDS) expect(v.q(`[data-testid="${id}"]`), id).not.toBeNull();
    expect(v.q('[data-testid="jal-example"]')).toBeNull();
    expect(v.q('[data-testid="jal-label-button"]')).toBeNull();
    expect(v.root.dataset.mode).toBe("interview");
    expect(v.root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(v.model.sent).toEqual([]);
  });

  it("shows Python's answers, the data summary and the code", () => {
    const v = form();

    expect(v.by("jal-iv-source-kind-dataframe").checked).toBe(true);
    expect(v.by("jal-iv-source-name").value).toBe("df");
    expect(v.by("jal-iv-source-path").closest(".jal-iv-row")?.hasAttribute("hidden")).toBe(true);
    expect(v.by("jal-iv-task-classification").checked).toBe(true);
    expect(v.by("jal-iv-batch-size").value).toBe("10");
    expect(v.by("jal-iv-holdout-fraction").value).toBe("0.2");
    expect(v.by("jal-iv-budget-max_labels").value).toBe("");
    expect(v.by("jal-iv-llm-judge").checked).toBe(false);
    expect(v.text("jal-iv-summary")).toContain("1,200 rows · 4 columns");
    const rows = [...v.el.querySelectorAll(".jal-iv-columns tbody tr")].map((tr) =>
      [...tr.children].map((td) => td.textContent),
    );
    expect(rows[3]).toEqual(["sentiment", "category", "900", "pos"]);
    expect(v.text("jal-iv-code")).toBe(
      "from jupyter_al import Session\nsession = Session(df, holdout=0.2, batch_size=10)",
    );
    expect(v.text("jal-iv-label-status")).toContain("no label column");
  });

  it("offers likely columns first and marks the coming choices", () => {
    const v = form();
    const text = v.by<HTMLSelectElement>("jal-iv-text");

    expect([...text.querySelectorAll("optgroup")].map((g) => g.label)).toEqual([
      "likely text",
      "other columns",
    ]);
    expect([...text.options].map((o) => o.value)).toEqual([
      "",
      "review",
      "stars",
      "length",
      "sentiment",
    ]);
    expect([...v.by<HTMLSelectElement>("jal-iv-label-column").options][1].value).toBe("sentiment");
    const ranking = v.by("jal-iv-task-ranking");
    expect(ranking.disabled).toBe(true);
    expect(ranking.closest("label")?.textContent).toContain("coming");
    expect(v.by("jal-iv-task-multilabel").disabled).toBe(false);
    expect(v.by("jal-iv-unit-document").disabled).toBe(true);
    expect([...v.by<HTMLSelectElement>("jal-iv-metric").options].map((o) => o.value)).toEqual([
      "default",
      "accuracy",
      "f1_macro",
      "balanced_accuracy",
    ]);
  });

  it("shows only the inputs of the chosen source and held-out kinds", () => {
    const v = form();
    const hidden = (id: string) => v.by(id).closest(".jal-iv-row")?.hasAttribute("hidden");

    v.by("jal-iv-source-kind-sql").click();
    expect(hidden("jal-iv-source-name")).toBe(true);
    expect(hidden("jal-iv-source-query")).toBe(false);
    expect(hidden("jal-iv-source-url")).toBe(false);
    v.by("jal-iv-holdout-kind-none").click();
    expect(hidden("jal-iv-holdout-fraction")).toBe(true);
    expect(hidden("jal-iv-holdout-label-column")).toBe(true);
    v.by("jal-iv-holdout-kind-file").click();
    expect(hidden("jal-iv-holdout-path")).toBe(false);
    expect(hidden("jal-iv-holdout-label-column")).toBe(false);
  });
});

describe("sending changes", () => {
  it("typing sends one debounced interview_change with all the answers", () => {
    const v = form();
    v.type("jal-iv-source-name", "r");
    v.type("jal-iv-source-name", "re");
    vi.advanceTimersByTime(200);
    v.type("jal-iv-source-name", "reviews");
    vi.advanceTimersByTime(249);
    expect(v.model.sent).toEqual([]);
    vi.advanceTimersByTime(1);

    expect(v.sent()).toHaveLength(1);
    const msg = v.last();
    expect(msg.kind).toBe("interview_change");
    expect(msg.t).toEqual(expect.any(Number));
    expect(msg.answers.source).toEqual({
      kind: "dataframe",
      name: "reviews",
      path: "",
      query: "",
      url: "",
    });
    expect(Object.keys(msg.answers).sort()).toEqual(
      [
        "batch_size",
        "budget",
        "features",
        "holdout",
        "label_column",
        "labels",
        "llm_judge",
        "metric",
        "prediction_unit",
        "query",
        "query_id",
        "source",
        "span_overlap",
        "strategy",
        "task",
        "text",
        "unit",
      ].sort(),
    );
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(1);
  });

  it("leaving a field sends at once", () => {
    const v = form();
    const input = v.type("jal-iv-source-name", "reviews");
    input.dispatchEvent(new Event("change", { bubbles: true }));

    expect(v.sent()).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(1);
  });

  it("a radio sends at once, with the typing still waiting", () => {
    const v = form();
    v.type("jal-iv-source-name", "reviews");
    v.by("jal-iv-task-multilabel").click();

    expect(v.sent()).toHaveLength(1);
    expect(v.last().answers).toMatchObject({ task: "multilabel", source: { name: "reviews" } });
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(1);
  });

  it("selects and boxes send at once; a text column and features exclude each other", () => {
    const v = form();
    v.by("jal-iv-feature-stars").click();
    expect(v.last().answers).toMatchObject({ text: null, features: ["stars"] });

    v.choose("jal-iv-text", "review");
    expect(v.last().answers).toMatchObject({ text: "review", features: null });
    expect(v.by("jal-iv-feature-stars").checked).toBe(false);

    v.by("jal-iv-feature-length").click();
    expect(v.by<HTMLSelectElement>("jal-iv-text").value).toBe("");
    v.by("jal-iv-llm-judge").click();
    expect(v.last().answers.llm_judge).toBe(true);
    v.choose("jal-iv-metric", "f1_macro");
    expect(v.last().answers.metric).toBe("f1_macro");
    expect(v.sent()).toHaveLength(5);
  });

  it("number fields send numbers, empty as null, and text Python cannot read as text", () => {
    const v = form();
    v.type("jal-iv-budget-max_labels", "200");
    v.type("jal-iv-batch-size", "");
    v.type("jal-iv-holdout-fraction", "0.3");
    vi.advanceTimersByTime(250);

    expect(v.last().answers.budget.max_labels).toBe(200);
    expect(v.last().answers.batch_size).toBeNull();
    expect(v.last().answers.holdout.fraction).toBe(0.3);
  });

  it("a new label column makes it the gold column too and waits for Python's status", () => {
    const v = form();
    v.choose("jal-iv-label-column", "sentiment");

    expect(v.last().answers).toMatchObject({
      label_column: "sentiment",
      holdout: { label_column: "sentiment" },
    });
    expect(v.text("jal-iv-label-status")).toBe("checking…");
    expect(v.by<HTMLButtonElement>("jal-iv-labels-from-column").disabled).toBe(true);
    expect(v.by<HTMLSelectElement>("jal-iv-holdout-label-column").value).toBe("sentiment");
  });
});

describe("the label schema", () => {
  const status = {
    status: "partially labeled" as const,
    n_labeled: 300,
    n_rows: 1200,
    counts: { pos: 200, neg: 100 },
    n_classes: 2,
  };

  it("shows the detected status and fills the names from the label column", () => {
    const v = form();
    v.choose("jal-iv-label-column", "sentiment");
    v.reply({ label_status: { label_column: status } });

    expect(v.text("jal-iv-label-status")).toBe(
      "partially labeled: 300 of 1,200 rowspos 200 · neg 100",
    );
    const from = v.by<HTMLButtonElement>("jal-iv-labels-from-column");
    expect(from.textContent).toBe("use the labels found in sentiment");
    expect(from.disabled).toBe(false);
    from.click();

    expect(v.by("jal-iv-label-name-0").value).toBe("pos");
    expect(v.by("jal-iv-label-name-1").value).toBe("neg");
    expect(v.by("jal-iv-label-key-0").placeholder).toBe("1");
    expect(v.last().answers.labels).toEqual([
      { name: "pos", description: "", key: "" },
      { name: "neg", description: "", key: "" },
    ]);
  });

  it("adds, renames, keys and removes labels", () => {
    const v = form();
    v.click('[data-testid="jal-iv-label-add"]');
    expect(document.activeElement).toBe(v.by("jal-iv-label-name-0"));
    v.click('[data-testid="jal-iv-label-add"]');
    expect(v.last().answers.labels).toHaveLength(2);
    v.type("jal-iv-label-name-0", "spam");
    v.type("jal-iv-label-desc-0", "unwanted mail");
    v.type("jal-iv-label-name-1", "ham");
    const key = v.type("jal-iv-label-key-1", "H");
    expect(key.value).toBe("h");
    v.type("jal-iv-label-key-1", "hx");
    expect(v.by("jal-iv-label-key-1").value).toBe("x");
    vi.advanceTimersByTime(250);

    expect(v.last().answers.labels).toEqual([
      { name: "spam", description: "unwanted mail", key: "" },
      { name: "ham", description: "", key: "x" },
    ]);
    v.click('[data-testid="jal-iv-label-remove-0"]');
    expect(v.last().answers.labels).toEqual([{ name: "ham", description: "", key: "x" }]);
    expect(v.by("jal-iv-label-name-0").value).toBe("ham");
    expect(v.q('[data-testid="jal-iv-label-name-1"]')).toBeNull();
  });
});

describe("errors", () => {
  it("shows each error next to its field, marks the input and disables submit", () => {
    const v = form();
    const err = v.by<HTMLElement>("jal-error-text");

    expect(err.textContent).toBe(
      "choose the column with the text to label (or numeric feature columns)",
    );
    expect(err.getAttribute("role")).toBe("alert");
    expect(err.hidden).toBe(false);
    expect(err.previousElementSibling?.contains(v.by("jal-iv-text"))).toBe(true);
    expect(v.by("jal-iv-text").getAttribute("aria-invalid")).toBe("true");
    expect(v.by("jal-iv-text").getAttribute("aria-describedby")).toBe(err.id);
    expect(v.by("jal-iv-label-add").closest("fieldset")?.contains(v.by("jal-error-labels"))).toBe(
      true,
    );
    expect(v.by<HTMLElement>("jal-error-budget").hidden).toBe(true);
    const submit = v.by<HTMLButtonElement>("jal-iv-submit");
    expect(submit.disabled).toBe(true);
    expect(submit.textContent).toBe("Start labeling (2 answers to fix)");

    v.choose("jal-iv-text", "review");
    v.reply({ errors: { budget: "a money budget needs the cost per label" } });
    expect(err.hidden).toBe(true);
    expect(v.by("jal-iv-text").hasAttribute("aria-invalid")).toBe(false);
    expect(v.text("jal-error-budget")).toBe("a money budget needs the cost per label");
    expect(v.by("jal-iv-budget-max_cost").getAttribute("aria-invalid")).toBe("true");
    expect(submit.textContent).toBe("Start labeling (1 answer to fix)");

    v.reply({ errors: {} });
    expect(submit.disabled).toBe(false);
    expect(submit.textContent).toBe("Start labeling");
  });

  it("lists errors of fields the form does not know above the submit button", () => {
    const v = form({ interview: interview_trait({ errors: { seed: "must be an integer" } }) });

    expect(v.text("jal-error-seed")).toBe("seed: must be an integer");
    expect(v.by<HTMLButtonElement>("jal-iv-submit").disabled).toBe(true);
  });
});

describe("typing is never disrupted", () => {
  it("a reply keeps the focused input, its value and its caret; others follow Python", () => {
    const v = form();
    const input = v.type("jal-iv-source-name", "my_d");
    vi.advanceTimersByTime(250);
    input.setSelectionRange(2, 2);
    const batch = v.by("jal-iv-batch-size");

    // the echo of what was sent, with a new error and a new summary
    v.reply({
      errors: { source: "source.name: no variable 'my_d' in the notebook" },
      summary: null,
    });
    expect(v.by("jal-iv-source-name")).toBe(input);
    expect(document.activeElement).toBe(input);
    expect(input.value).toBe("my_d");
    expect(input.selectionStart).toBe(2);
    expect(v.text("jal-error-source")).toBe("source.name: no variable 'my_d' in the notebook");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(v.text("jal-iv-summary")).toContain("No data yet");

    // Python changed the answers by itself: the others follow, the focused one is left alone
    const changed = {
      ...v.last().answers,
      batch_size: 32,
      source: { kind: "dataframe", name: "df" },
    };
    v.model.push({ interview: interview_trait({ answers: changed as Answers }) });
    expect(batch.value).toBe("32");
    expect(input.value).toBe("my_d");
    expect(input.selectionStart).toBe(2);
    expect(document.activeElement).toBe(input);
  });

  it("a late reply never takes back newer typing", () => {
    const v = form();
    v.type("jal-iv-source-name", "a");
    vi.advanceTimersByTime(250);
    const first = v.last().answers;
    v.type("jal-iv-source-name", "ab");
    (document.activeElement as HTMLElement).blur();
    vi.advanceTimersByTime(250);
    v.model.push({ interview: interview_trait({ answers: first }) }); // the reply to "a"

    expect(v.by("jal-iv-source-name").value).toBe("ab");
    v.by("jal-iv-task-multilabel").click();
    expect(v.last().answers.source.name).toBe("ab");
  });

  it("a reply while typing waits to be sent changes nothing the user typed", () => {
    const v = form();
    v.type("jal-iv-budget-max_rounds", "5");
    (document.activeElement as HTMLElement).blur();
    v.model.push({ interview: interview_trait({ code: "new code" }) }); // e.g. another view

    expect(v.by("jal-iv-budget-max_rounds").value).toBe("5");
    expect(v.text("jal-iv-code")).toBe("new code");
    vi.advanceTimersByTime(250);
    expect(v.last().answers.budget.max_rounds).toBe(5);
  });
});

describe("keys", () => {
  it("type normally and never reach the notebook; labeling keys do nothing", () => {
    const v = form({ interview: interview_trait({ errors: {} }) });
    const outer = vi.fn();
    document.addEventListener("keydown", outer);
    const input = v.by("jal-iv-source-name");
    const typed = v.key("1", {}, input);
    const on_root = v.key("s");
    const undo = v.key("z", { ctrlKey: true }, input);
    document.removeEventListener("keydown", outer);

    expect(typed.defaultPrevented).toBe(false);
    expect(on_root.defaultPrevented).toBe(false);
    expect(undo.defaultPrevented).toBe(false);
    expect(outer).not.toHaveBeenCalled();
    expect(v.model.sent).toEqual([]);
  });

  it("Enter in a field never submits the form", () => {
    const v = form({ interview: interview_trait({ errors: {} }) });
    const ev = new Event("submit", { bubbles: true, cancelable: true });
    v.by<HTMLFormElement>("jal-interview").dispatchEvent(ev);

    expect(ev.defaultPrevented).toBe(true);
    expect(v.model.sent).toEqual([]);
  });
});

describe("submit", () => {
  it("sends interview_submit with the answers, typing included, and waits for Python", () => {
    const v = form({ interview: interview_trait({ errors: {} }) });
    v.type("jal-iv-source-name", "reviews");
    v.click('[data-testid="jal-iv-submit"]');

    expect(v.sent()).toHaveLength(1);
    const msg = v.last();
    expect(msg.kind).toBe("interview_submit");
    expect(msg.answers.source.name).toBe("reviews");
    const submit = v.by<HTMLButtonElement>("jal-iv-submit");
    expect(submit.disabled).toBe(true);
    expect(submit.textContent).toBe("starting…");
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(1);

    // Python refused it: it says why, the button comes back
    v.reply({ errors: {} });
    expect(submit.textContent).toBe("starting…");
    v.model.push({ error: "the interview has answers to fix", ack_t: msg.t });
    expect(submit.disabled).toBe(false);
    expect(v.text("jal-iv-error")).toBe("the interview has answers to fix");
  });

  it("a disabled submit sends nothing", () => {
    const v = form();
    v.click('[data-testid="jal-iv-submit"]');

    expect(v.model.sent).toEqual([]);
  });
});

describe("modes", () => {
  it("switching to label renders the labeling view, and back to the form", () => {
    const v = form({ interview: interview_trait({ errors: {} }) });
    v.type("jal-iv-source-name", "reviews");
    v.click('[data-testid="jal-iv-submit"]');
    v.model.push({ mode: "label" });

    expect(v.q('[data-testid="jal-interview"]')).toBeNull();
    expect(v.el.querySelectorAll(".jal-root")).toHaveLength(1);
    expect(v.text("jal-example")).toBe("text of a");
    expect(document.activeElement).toBe(v.q('[data-testid="jal-root"]'));
    v.key("1", {}, v.q('[data-testid="jal-root"]') as HTMLElement);
    expect(v.last()).toMatchObject({ kind: "label", item_id: "a", label: "ham" });

    v.model.push({ mode: "interview" });
    expect(v.q('[data-testid="jal-example"]')).toBeNull();
    expect(v.q('[data-testid="jal-interview"]')).not.toBeNull();
    expect(v.el.querySelectorAll(".jal-root")).toHaveLength(1);
  });

  it("the labeling view neither listens nor sends in interview mode", () => {
    const v = form({ status: "ready" });
    const n = v.model.n_handlers();
    v.model.push({ items: [], position: 0, status: "training", ack_t: 5 });
    v.key("1");
    v.key("s");
    vi.advanceTimersByTime(1000);

    expect(v.model.sent).toEqual([]);
    expect(v.q('[data-testid="jal-empty"]')).toBeNull();
    expect(v.model.n_handlers()).toBe(n);
  });

  it("cleans up: handlers off, pending typing dropped, DOM removed", () => {
    const v = form();
    v.type("jal-iv-source-name", "x");
    v.cleanup();
    vi.advanceTimersByTime(1000);

    expect(v.model.n_handlers()).toBe(0);
    expect(v.model.sent).toEqual([]);
    expect(v.el.querySelector(".jal-root")).toBeNull();
    mounted = mounted.filter((m) => m !== v);
  });
});

describe("copy as code", () => {
  it("copies with the clipboard API", async () => {
    const v = form();
    const write = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: write },
      configurable: true,
    });
    try {
      v.click('[data-testid="jal-iv-copy"]');
      await vi.waitFor(() =>
        expect(v.q(".jal-iv-tools .jal-iv-note[aria-live]")?.textContent).toBe("copied"),
      );
      expect(write).toHaveBeenCalledWith(v.text("jal-iv-code"));
    } finally {
      Reflect.deleteProperty(navigator, "clipboard");
    }
  });

  it("falls back to a selected textarea", () => {
    const v = form();
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    const exec = vi.fn(() => false);
    Object.defineProperty(document, "execCommand", { value: exec, configurable: true });
    try {
      v.click('[data-testid="jal-iv-copy"]');
      const area = v.q<HTMLTextAreaElement>(".jal-iv-copy-area");
      expect(exec).toHaveBeenCalledWith("copy");
      expect(area?.value).toBe(v.text("jal-iv-code"));
      expect(document.activeElement).toBe(area);
      expect(area?.selectionStart).toBe(0);
      expect(area?.selectionEnd).toBe(area?.value.length);
      expect(v.q(".jal-iv-tools .jal-iv-note[aria-live]")?.textContent).toContain("Ctrl+C");
    } finally {
      Reflect.deleteProperty(navigator, "clipboard");
      Reflect.deleteProperty(document, "execCommand");
    }
  });
});

describe("hostile data stays text", () => {
  it("column names, examples, counts, errors and code create no element and run nothing", async () => {
    const evil = `<img src=x onerror="window.__jal_pwned=1"><script>window.__jal_pwned=2</script>`;
    const trait = interview_trait({
      errors: { text: evil, [evil]: evil },
      code: evil,
      summary: {
        n_rows: 2,
        columns: [{ name: evil, dtype: evil, kind: evil, n_missing: 0, example: evil }],
        text_candidates: [evil],
        numeric_candidates: [evil],
        label_candidates: [evil],
      },
      label_status: {
        label_column: {
          status: "labeled",
          n_labeled: 2,
          n_rows: 2,
          counts: { [evil]: 2 },
          n_classes: 1,
        },
      },
    });
    (trait.answers as Answers).label_column = evil;
    const v = form({ interview: trait, error: evil });
    v.click('[data-testid="jal-iv-labels-from-column"]');
    await vi.advanceTimersByTimeAsync(20); // give an onerror a chance to fire

    expect(v.el.querySelector("img,script")).toBeNull();
    expect(win.__jal_pwned).toBeUndefined();
    expect(v.text("jal-iv-code")).toBe(evil);
    expect(v.text("jal-error-text")).toBe(evil);
    expect(v.q(".jal-iv-columns td")?.textContent).toBe(evil);
    expect(v.text("jal-iv-labels-from-column")).toBe(`use the labels found in ${evil}`);
    expect(v.by("jal-iv-label-name-0").value).toBe(evil);
    expect(v.text("jal-iv-label-status")).toContain(evil);
    expect(v.text("jal-iv-error")).toBe(evil);
    const box = [...v.el.querySelectorAll<HTMLInputElement>(".jal-iv-features input")];
    expect(box.map((b) => b.dataset.testid)).toEqual([`jal-iv-feature-${evil}`]);
    expect([...v.by<HTMLSelectElement>("jal-iv-text").options].map((o) => o.textContent)).toContain(
      evil,
    );
  });
});

describe("in a shadow root (marimo)", () => {
  it("still leaves the focused input alone", () => {
    const host = document.createElement("div");
    document.body.append(host);
    const shadow = host.attachShadow({ mode: "open" });
    const el = document.createElement("div");
    shadow.append(el);
    const model = fake_model({ mode: "interview", interview: interview_trait() });
    // biome-ignore lint/suspicious/noExplicitAny: the fake model stands in for AnyModel
    const cleanup = widget.render({ model, el } as any) as () => void;
    try {
      const input = el.querySelector('[data-testid="jal-iv-source-name"]') as HTMLInputElement;
      input.focus();
      input.value = "typing";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.value = "typing more"; // the next key, its input event not handled yet
      const answers = { ...interview_trait().answers, source: { kind: "file", path: "x.csv" } };
      model.push({ interview: interview_trait({ answers: answers as Answers }) });
      vi.advanceTimersByTime(250); // the waiting typing goes out, Python changes the source kind
      model.push({ interview: interview_trait({ answers: answers as Answers }) });

      expect(input.value).toBe("typing more");
    } finally {
      cleanup();
      host.remove();
    }
  });
});

describe("task and unit options", () => {
  const ready = (names: string[]) => Object.fromEntries(names.map((n) => [n, "ready" as const]));
  const choices = {
    ...interview_trait().choices,
    tasks: ready(["classification", "multilabel", "ranking", "extraction", "other"]),
    units: ready(["row", "document", "sentence", "chunk", "message"]),
  };
  const all_ready = (extra: Partial<InterviewTrait> = {}) =>
    form({ interview: interview_trait({ choices, ...extra }) });
  const hidden = (v: ReturnType<typeof form>, id: string) =>
    v.by(id).closest(".jal-iv-row")?.hasAttribute("hidden");
  const OPTIONS = [
    "jal-iv-query",
    "jal-iv-query-id",
    "jal-iv-span-overlap",
    "jal-iv-unit-size",
    "jal-iv-unit-overlap",
    "jal-iv-unit-by",
    "jal-iv-unit-thread",
    "jal-iv-unit-order",
  ];
  const shown = (v: ReturnType<typeof form>) => OPTIONS.filter((id) => !hidden(v, id));

  it("are all in the form, hidden for classification by rows", () => {
    const v = all_ready();

    for (const id of OPTIONS) expect(v.q(`[data-testid="${id}"]`), id).not.toBeNull();
    expect(shown(v)).toEqual([]);
    expect(v.by("jal-iv-task-ranking").disabled).toBe(false);
    expect(v.by("jal-iv-unit-chunk").disabled).toBe(false);
  });

  it("show only the chosen task's and unit's options", () => {
    const v = all_ready();
    v.by("jal-iv-task-ranking").click();
    expect(shown(v)).toEqual(["jal-iv-query", "jal-iv-query-id"]);
    expect(v.by("jal-iv-query").closest("fieldset")?.querySelector("legend")?.textContent).toBe(
      "Task type",
    );

    v.by("jal-iv-task-extraction").click();
    expect(shown(v)).toEqual(["jal-iv-span-overlap"]);
    const note = v.by("jal-iv-span-overlap").closest(".jal-iv-row")?.nextElementSibling;
    expect(note?.hasAttribute("hidden")).toBe(false);
    expect(note?.textContent).toMatch(/forbid: .* nested: .* allow: /);

    v.by("jal-iv-unit-chunk").click();
    expect(shown(v)).toEqual([
      "jal-iv-span-overlap",
      "jal-iv-unit-size",
      "jal-iv-unit-overlap",
      "jal-iv-unit-by",
    ]);
    expect(v.by("jal-iv-unit-size").closest("fieldset")?.querySelector("legend")?.textContent).toBe(
      "Prediction unit",
    );

    v.by("jal-iv-unit-message").click();
    expect(shown(v)).toEqual(["jal-iv-span-overlap", "jal-iv-unit-thread", "jal-iv-unit-order"]);

    v.by("jal-iv-task-other").click();
    v.by("jal-iv-unit-document").click();
    expect(shown(v)).toEqual([]);
    expect(note?.hasAttribute("hidden")).toBe(true);
    expect(v.sent().map((m) => [m.answers.task, m.answers.prediction_unit])).toEqual([
      ["ranking", "row"],
      ["extraction", "row"],
      ["extraction", "chunk"],
      ["extraction", "message"],
      ["other", "message"],
      ["other", "document"],
    ]);
  });

  it("column selects offer the data's columns (text first for the query)", () => {
    const v = all_ready();
    const values = (id: string) => [...v.by<HTMLSelectElement>(id).options].map((o) => o.value);
    const columns = ["review", "stars", "length", "sentiment"];

    expect(values("jal-iv-query")).toEqual(["", ...columns]);
    expect(
      [...v.by<HTMLSelectElement>("jal-iv-query").querySelectorAll("optgroup")].map((g) => g.label),
    ).toEqual(["likely text", "other columns"]);
    expect(values("jal-iv-query-id")).toEqual(["", ...columns]);
    expect(v.by<HTMLSelectElement>("jal-iv-query-id").options[0].textContent).toBe("none");
    expect(values("jal-iv-unit-thread")).toEqual(["", ...columns]);
    expect(values("jal-iv-unit-order")).toEqual(["", "stars", "length", "review", "sentiment"]);
    expect(values("jal-iv-span-overlap")).toEqual(["forbid", "nested", "allow"]);
    expect(values("jal-iv-unit-by")).toEqual(["tokens", "chars"]);
    expect(v.by<HTMLSelectElement>("jal-iv-span-overlap").value).toBe("forbid");
    expect(v.by<HTMLSelectElement>("jal-iv-unit-by").value).toBe("tokens"); // null: Python's default
  });

  it("selects send at once with the right answers", () => {
    const v = all_ready();
    v.by("jal-iv-task-ranking").click();
    v.choose("jal-iv-query", "review");
    expect(v.last().answers).toMatchObject({ task: "ranking", query: "review", query_id: null });
    v.choose("jal-iv-query-id", "sentiment");
    expect(v.last().answers.query_id).toBe("sentiment");
    v.choose("jal-iv-query-id", "");
    expect(v.last().answers.query_id).toBeNull();

    v.by("jal-iv-task-extraction").click();
    v.choose("jal-iv-span-overlap", "nested");
    expect(v.last().answers).toMatchObject({ task: "extraction", span_overlap: "nested" });

    v.by("jal-iv-unit-message").click();
    v.choose("jal-iv-unit-thread", "sentiment");
    v.choose("jal-iv-unit-order", "stars");
    expect(v.last().answers.unit).toEqual({
      size: null,
      overlap: null,
      by: null,
      thread: "sentiment",
      order: "stars",
    });
    expect(v.sent()).toHaveLength(9);
    expect(v.sent().every((m) => m.kind === "interview_change")).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(9);
  });

  it("chunk numbers are typed (debounced, parsed, empty as null); 'by' goes at once", () => {
    const v = all_ready();
    v.by("jal-iv-unit-chunk").click();
    v.type("jal-iv-unit-size", "2");
    v.type("jal-iv-unit-size", "200");
    v.type("jal-iv-unit-overlap", "20");
    expect(v.sent()).toHaveLength(1);
    vi.advanceTimersByTime(250);

    expect(v.sent()).toHaveLength(2);
    expect(v.last().answers).toMatchObject({
      prediction_unit: "chunk",
      unit: { size: 200, overlap: 20, by: null },
    });
    v.type("jal-iv-unit-overlap", "");
    v.type("jal-iv-unit-size", "1e3");
    v.choose("jal-iv-unit-by", "chars"); // carries the waiting typing
    expect(v.sent()).toHaveLength(3);
    expect(v.last().answers.unit).toMatchObject({ size: 1000, overlap: null, by: "chars" });
    vi.advanceTimersByTime(1000);
    expect(v.sent()).toHaveLength(3);
  });

  it("show Python's answers", () => {
    const answers = {
      ...interview_trait().answers,
      task: "ranking",
      prediction_unit: "chunk",
      query: "review",
      query_id: "gone",
      span_overlap: "allow",
      unit: { size: 300, overlap: 30, by: "chars", thread: null, order: null },
    } as Answers;
    const v = all_ready({ answers });

    expect(shown(v)).toEqual([
      "jal-iv-query",
      "jal-iv-query-id",
      "jal-iv-unit-size",
      "jal-iv-unit-overlap",
      "jal-iv-unit-by",
    ]);
    expect(v.by<HTMLSelectElement>("jal-iv-query").value).toBe("review");
    const qid = v.by<HTMLSelectElement>("jal-iv-query-id");
    expect(qid.value).toBe("gone"); // a column the data lacks stays chosen
    expect(qid.querySelector("optgroup")?.label).toBe("not in the data");
    expect(v.by<HTMLSelectElement>("jal-iv-span-overlap").value).toBe("allow");
    expect(v.by("jal-iv-unit-size").value).toBe("300");
    expect(v.by("jal-iv-unit-overlap").value).toBe("30");
    expect(v.by<HTMLSelectElement>("jal-iv-unit-by").value).toBe("chars");

    // Python changed them by itself: the page follows
    v.model.push({
      interview: interview_trait({
        choices,
        answers: { ...answers, task: "extraction", unit: { ...answers.unit, size: 64 } },
      }),
    });
    expect(shown(v)).toEqual([
      "jal-iv-span-overlap",
      "jal-iv-unit-size",
      "jal-iv-unit-overlap",
      "jal-iv-unit-by",
    ]);
    expect(v.by("jal-iv-unit-size").value).toBe("64");
  });

  it("show their errors next to them, never in the list of unknown fields", () => {
    const v = all_ready();
    v.by("jal-iv-task-ranking").click();
    v.by("jal-iv-unit-chunk").click();
    v.reply({
      errors: {
        query: "choose the column with each pair's query (text= is the document)",
        query_id: "column 'x' is not in the data",
        span_overlap: "choose forbid, nested or allow",
        unit: "chunks need a size (a positive whole number), got None",
      },
    });
    const next_to = (field: string, id: string) => {
      const slot = v.by<HTMLElement>(`jal-error-${field}`);
      expect(slot.hidden, field).toBe(false);
      expect(v.by(id).getAttribute("aria-invalid"), id).toBe("true");
      expect(v.by(id).getAttribute("aria-describedby"), id).toBe(slot.id);
      return slot;
    };

    expect(next_to("query", "jal-iv-query").previousElementSibling).toBe(
      v.by("jal-iv-query").closest(".jal-iv-row"),
    );
    expect(next_to("query_id", "jal-iv-query-id").previousElementSibling).toBe(
      v.by("jal-iv-query-id").closest(".jal-iv-row"),
    );
    expect(next_to("span_overlap", "jal-iv-span-overlap").textContent).toBe(
      "choose forbid, nested or allow",
    );
    const unit = next_to("unit", "jal-iv-unit-size");
    expect(unit.textContent).toContain("chunks need a size");
    expect(unit.closest("fieldset")?.querySelector("legend")?.textContent).toBe("Prediction unit");
    expect(v.by<HTMLElement>("jal-iv-errors").hidden).toBe(true);
    expect(v.text("jal-iv-submit")).toBe("Start labeling (4 answers to fix)");

    v.reply({ errors: {} });
    expect(v.by<HTMLElement>("jal-error-unit").hidden).toBe(true);
    expect(v.by("jal-iv-unit-size").hasAttribute("aria-invalid")).toBe(false);
  });

  it("the label schema's hint and add button follow the task", () => {
    const v = all_ready();
    const hint = () => (v.text("jal-iv-labels-hint") ?? "").toLowerCase();
    expect(v.by<HTMLElement>("jal-iv-labels-hint").hidden).toBe(false);
    expect(
      v.by("jal-iv-labels-hint").closest("fieldset")?.querySelector("legend")?.textContent,
    ).toBe("Label schema");

    v.by("jal-iv-task-extraction").click();
    expect(hint()).toContain("the span types");
    expect(v.text("jal-iv-label-add")).toBe("add a span type");
    v.by("jal-iv-task-ranking").click();
    expect(hint()).toContain("the grades, lowest first");
    expect(v.text("jal-iv-label-add")).toBe("add a grade");
    v.by("jal-iv-task-other").click();
    expect(hint()).toContain("a number per item: no labels");
    v.click('[data-testid="jal-iv-label-add"]'); // still allowed: Python explains the error
    expect(v.last().answers).toMatchObject({ task: "other", labels: [{ name: "" }] });
    v.by("jal-iv-task-classification").click();
    expect(v.text("jal-iv-label-add")).toBe("add a label");
  });
});
