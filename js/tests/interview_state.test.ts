import { describe, expect, it, vi } from "vitest";
import {
  type AnswerPath,
  add_label,
  clone_answers,
  column_options,
  counts_text,
  create_debouncer,
  DEFAULT_CHOICES,
  default_answers,
  default_hotkeys,
  edit_label,
  feature_options,
  format_number,
  get_answer,
  labels_from_counts,
  normalize_answers,
  normalize_key,
  other_errors,
  parse_number,
  read_interview,
  remove_label,
  SentLog,
  schema_text,
  send_timing,
  set_answer,
  set_label_column,
  set_text,
  should_adopt,
  shown_options,
  stable_key,
  status_text,
  submit_text,
  type Timers,
  toggle_feature,
  with_current,
} from "../src/interview_state";
import type { LabelStatus } from "../src/types";
import { interview_trait } from "./fake_model";

const labeled = (names: string[]) => ({
  ...default_answers(),
  labels: names.map((name) => ({ name, description: `${name}!`, key: "" })),
});

describe("reading answers", () => {
  it("completes Python's default answers (source and held-out set are partial there)", () => {
    const a = normalize_answers(interview_trait().answers);

    expect(a).toEqual(default_answers());
    expect(a.source).toEqual({ kind: "dataframe", name: "df", path: "", query: "", url: "" });
    expect(a.holdout).toEqual({
      kind: "fraction",
      fraction: 0.2,
      name: "",
      path: "",
      label_column: null,
    });
  });

  it("turns garbage into defaults and keeps what can be kept", () => {
    expect(normalize_answers(null)).toEqual(default_answers());
    expect(normalize_answers([1, 2])).toEqual(default_answers());
    const a = normalize_answers({
      source: { kind: "ftp", name: 3 },
      task: "",
      text: "",
      features: [],
      labels: ["spam", { name: 7, key: "x" }, null],
      batch_size: Number.NaN,
      holdout: { kind: "none", fraction: "half" },
      budget: { max_labels: 200, max_cost: "lots", cost_per_label: true },
      llm_judge: "yes",
    });

    expect(a.source.kind).toBe("dataframe");
    expect(a.source.name).toBe("");
    expect(a.task).toBe("classification");
    expect(a.text).toBeNull();
    expect(a.features).toBeNull();
    expect(a.labels).toEqual([
      { name: "spam", description: "", key: "" },
      { name: "7", description: "", key: "x" },
      { name: "", description: "", key: "" },
    ]);
    expect(a.batch_size).toBeNull();
    expect(a.holdout).toMatchObject({ kind: "none", fraction: "half" });
    expect(a.budget).toEqual({
      max_labels: 200,
      max_rounds: null,
      max_minutes: null,
      max_cost: "lots",
      cost_per_label: null,
    });
    expect(a.llm_judge).toBe(false);
  });

  it("gives equal answers equal keys whatever the key order", () => {
    const a = default_answers();
    const b = JSON.parse(JSON.stringify(a), (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).reverse())
        : v,
    );

    expect(Object.keys(b)[0]).toBe("unit");
    expect(stable_key(b)).toBe(stable_key(a));
    expect(stable_key(set_answer(a, "batch_size", 11))).not.toBe(stable_key(a));
  });

  it("reads the interview trait with safe defaults", () => {
    const iv = read_interview({
      answers: "no",
      errors: { text: "bad", empty: "", none: null, n: 3 },
      summary: { n_rows: "12", columns: [{ name: 5, kind: "numeric" }, "junk"] },
      label_status: { label_column: { status: "labeled", counts: { a: "3", b: 1 } } },
      choices: { tasks: { classification: "ready", ranking: "soon" }, metrics: [] },
    });

    expect(iv.answers).toBeNull();
    expect(iv.errors).toEqual({ text: "bad", n: "3" });
    expect(iv.code).toBe("");
    expect(iv.summary?.n_rows).toBe(12);
    expect(iv.summary?.columns).toEqual([
      { name: "5", dtype: "", kind: "numeric", n_missing: 0, example: null },
    ]);
    expect(iv.summary?.text_candidates).toEqual([]);
    expect(iv.label_status.label_column).toEqual({
      status: "labeled",
      n_labeled: 0,
      n_rows: 0,
      counts: { a: 3, b: 1 },
      n_classes: 2,
    });
    expect(iv.label_status.holdout).toBeNull();
    expect(iv.choices.tasks).toEqual({ classification: "ready", ranking: "coming" });
    expect(iv.choices.units).toEqual(DEFAULT_CHOICES.units);
    expect(iv.choices.metrics).toEqual(["default"]);
    expect(read_interview(undefined).summary).toBeNull();
  });
});

describe("numbers", () => {
  it.each([
    ["", null],
    ["   ", null],
    ["12", 12],
    [" 0.25 ", 0.25],
    [".5", 0.5],
    ["-3", -3],
    ["1e3", 1000],
    ["abc", "abc"],
    ["0x10", "0x10"],
    ["1,5", "1,5"],
    ["Infinity", "Infinity"],
  ])("parse_number(%j) -> %j", (text, expected) => {
    expect(parse_number(text)).toBe(expected);
  });

  it("formats null as empty and keeps text as typed", () => {
    expect(format_number(null)).toBe("");
    expect(format_number(0.2)).toBe("0.2");
    expect(format_number("abc")).toBe("abc");
  });
});

describe("updating answers", () => {
  it("sets and gets one answer without touching the original", () => {
    const a = default_answers();
    const b = set_answer(a, "source.path", "data.csv");
    const c = set_answer(b, "budget.max_labels", 200);

    expect(a.source.path).toBe("");
    expect(get_answer(b, "source.path")).toBe("data.csv");
    expect(get_answer(c, "budget.max_labels")).toBe(200);
    expect(b.budget.max_labels).toBeNull();
    expect(get_answer(c, "task")).toBe("classification");
  });

  it("a text column and feature columns exclude each other", () => {
    const a = toggle_feature(toggle_feature(default_answers(), "stars", true), "length", true);
    expect(a.features).toEqual(["stars", "length"]);

    const b = set_text(a, "review");
    expect(b).toMatchObject({ text: "review", features: null });
    const c = toggle_feature(b, "stars", true);
    expect(c).toMatchObject({ text: null, features: ["stars"] });
    expect(toggle_feature(c, "stars", false).features).toBeNull();
    expect(set_text(c, null)).toMatchObject({ text: null, features: ["stars"] });
  });

  it("the held-out gold column follows the label column unless chosen apart", () => {
    const a = set_label_column(default_answers(), "sentiment");
    expect(a.holdout.label_column).toBe("sentiment");
    const b = set_label_column(a, "stars");
    expect(b.holdout.label_column).toBe("stars");
    const c = set_label_column(set_answer(b, "holdout.label_column", "gold"), null);
    expect(c).toMatchObject({ label_column: null, holdout: { label_column: "gold" } });
  });
});

describe("the label list", () => {
  it("adds, renames, describes and removes labels", () => {
    let a = add_label(add_label(default_answers()));
    a = edit_label(a, 0, "name", "spam");
    a = edit_label(a, 1, "name", "ham");
    a = edit_label(a, 1, "description", "normal mail");
    expect(a.labels).toEqual([
      { name: "spam", description: "", key: "" },
      { name: "ham", description: "normal mail", key: "" },
    ]);
    expect(remove_label(a, 0).labels.map((l) => l.name)).toEqual(["ham"]);
    expect(remove_label(a, 5).labels).toHaveLength(2);
    expect(edit_label(a, 9, "name", "x")).toEqual(a);
  });

  it("a hotkey is one lower-case character, the last one typed", () => {
    expect(normalize_key("")).toBe("");
    expect(normalize_key("S")).toBe("s");
    expect(normalize_key("ab")).toBe("b");
    expect(normalize_key(" 7 ")).toBe("7");
    expect(normalize_key("😀")).toBe("😀");
    expect(edit_label(labeled(["a"]), 0, "key", "Q").labels[0].key).toBe("q");
  });

  it("uses the labels found in the column, keeping known descriptions and keys", () => {
    const a = edit_label(labeled(["neg", "old"]), 0, "key", "n");
    const b = labels_from_counts(a, { pos: 40, neg: 12 });

    expect(b.labels).toEqual([
      { name: "pos", description: "", key: "" },
      { name: "neg", description: "neg!", key: "n" },
    ]);
    expect(labels_from_counts(a, {}).labels).toEqual([]);
  });

  it("default hotkeys match Python's hotkeys()", () => {
    expect(default_hotkeys(["ham", "spam"])).toEqual(["1", "2"]);
    expect(default_hotkeys(["0", "1", "2"])).toEqual(["0", "1", "2"]);
    expect(default_hotkeys(Array.from({ length: 11 }, (_, i) => `c${i}`)).slice(-2)).toEqual([
      "a",
      "b",
    ]);
    expect(default_hotkeys(["s", "x"])).toEqual(["1", "x"]); // s skips: never a label's key
  });
});

describe("sending", () => {
  it("debounces typing, sends choices at once", () => {
    expect(send_timing({ tagName: "INPUT", type: "text" })).toBe("debounce");
    expect(send_timing({ tagName: "input", type: "number" })).toBe("debounce");
    expect(send_timing({ tagName: "TEXTAREA" })).toBe("debounce");
    expect(send_timing({ tagName: "INPUT", type: "radio" })).toBe("now");
    expect(send_timing({ tagName: "INPUT", type: "checkbox" })).toBe("now");
    expect(send_timing({ tagName: "SELECT", type: "select-one" })).toBe("now");
  });

  it("runs once after a quiet time; flush runs a waiting call now; cancel drops it", () => {
    let now = 0;
    const waiting: { at: number; fn: () => void; id: number }[] = [];
    let ids = 0;
    const timers: Timers = {
      set: (fn, ms) => {
        waiting.push({ at: now + ms, fn, id: ++ids });
        return ids;
      },
      clear: (id) => {
        const i = waiting.findIndex((w) => w.id === id);
        if (i >= 0) waiting.splice(i, 1);
      },
    };
    const advance = (ms: number) => {
      now += ms;
      for (const w of waiting.filter((x) => x.at <= now)) {
        timers.clear(w.id);
        w.fn();
      }
    };
    const fn = vi.fn();
    const d = create_debouncer(fn, 250, timers);

    d.schedule();
    advance(200);
    d.schedule();
    advance(200);
    expect(fn).not.toHaveBeenCalled();
    expect(d.pending()).toBe(true);
    advance(50);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(d.pending()).toBe(false);
    expect(d.flush()).toBe(false);

    d.schedule();
    expect(d.flush()).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);
    advance(1000);
    expect(fn).toHaveBeenCalledTimes(2);

    d.schedule();
    d.cancel();
    advance(1000);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("adopts Python's answers only when they are new and nothing waits to be sent", () => {
    const sent = new SentLog(3);
    sent.add("a");
    sent.add("b");

    expect(should_adopt("a", "c", sent, false)).toBe(false); // an old reply
    expect(should_adopt("c", "c", sent, false)).toBe(false); // the same
    expect(should_adopt("x", "c", sent, true)).toBe(false); // typing waits
    expect(should_adopt("x", "c", sent, false)).toBe(true); // Python changed them
    sent.add("c");
    sent.add("d");
    expect(sent.has("a")).toBe(false); // only the latest are kept
    expect(sent.has("b")).toBe(true);
  });
});

describe("text for the view", () => {
  const status = (extra: Partial<LabelStatus>): LabelStatus => ({
    status: "partially labeled",
    n_labeled: 120,
    n_rows: 1000,
    counts: { pos: 80, neg: 40 },
    n_classes: 2,
    ...extra,
  });

  it("says how much of the data is labeled, with counts per class", () => {
    expect(status_text(status({}))).toBe("partially labeled: 120 of 1,000 rows");
    expect(status_text(status({ status: "labeled", n_labeled: 1000 }))).toBe(
      "labeled: all 1,000 rows",
    );
    expect(status_text(status({ status: "unlabeled", n_labeled: 0, n_rows: 1 }))).toBe(
      "unlabeled: 0 of 1 row",
    );
    expect(counts_text(status({}))).toBe("pos 80 · neg 40");
    expect(counts_text(status({ n_classes: 3 }))).toBe("pos 80 · neg 40 · (+1 more class)");
    expect(counts_text(status({ counts: {}, n_classes: 0 }))).toBe("");
  });

  it("the submit button counts the answers to fix", () => {
    expect(submit_text(0)).toBe("Start labeling");
    expect(submit_text(1)).toBe("Start labeling (1 answer to fix)");
    expect(submit_text(3)).toBe("Start labeling (3 answers to fix)");
  });

  it("column choices: likely first, then the others, then a chosen one the data lacks", () => {
    const summary = read_interview(interview_trait()).summary;

    expect(column_options(summary, ["sentiment", "gone"], "sentiment")).toEqual({
      likely: ["sentiment"],
      others: ["review", "stars", "length"],
      missing: null,
    });
    expect(column_options(summary, [], "typo").missing).toBe("typo");
    expect(column_options(null, ["a"], "a")).toEqual({ likely: [], others: [], missing: "a" });
    expect(feature_options(summary, ["stars", "extra"])).toEqual(["stars", "length", "extra"]);
    expect(feature_options(null, null)).toEqual([]);
    expect(with_current(["default", "accuracy"], "f1")).toEqual(["default", "accuracy", "f1"]);
    expect(with_current(["default"], "default")).toEqual(["default"]);
  });

  it("errors without a place in the form are listed apart", () => {
    expect(other_errors({ text: "a", budget: "b", weird: "c" })).toEqual([["weird", "c"]]);
  });
});

describe("the task and unit options", () => {
  it("reads Python's query, span overlap and unit options", () => {
    const a = normalize_answers({
      ...interview_trait().answers,
      task: "ranking",
      prediction_unit: "chunk",
      query: "question",
      query_id: "qid",
      span_overlap: "nested",
      unit: { size: 200, overlap: 20, by: "chars", thread: "conv", order: "turn" },
    });

    expect(a).toMatchObject({ query: "question", query_id: "qid", span_overlap: "nested" });
    expect(a.unit).toEqual({ size: 200, overlap: 20, by: "chars", thread: "conv", order: "turn" });
  });

  it("fills missing options with Python's defaults and drops what cannot be kept", () => {
    const d = default_answers();
    expect(d).toMatchObject({ query: null, query_id: null, span_overlap: "forbid" });
    expect(d.unit).toEqual({ size: null, overlap: null, by: null, thread: null, order: null });

    const a = normalize_answers({
      query: "",
      query_id: 7,
      span_overlap: "sideways",
      unit: { size: "big", overlap: Number.NaN, by: "words", thread: "", order: 3 },
    });
    expect(a).toMatchObject({ query: null, query_id: null, span_overlap: "forbid" });
    expect(a.unit).toEqual({ size: "big", overlap: null, by: null, thread: null, order: null });
    expect(normalize_answers({ unit: "chunk" }).unit).toEqual(d.unit);
    for (const o of ["forbid", "nested", "allow"]) {
      expect(normalize_answers({ span_overlap: o }).span_overlap).toBe(o);
    }
    expect(normalize_answers({ unit: { by: "tokens" } }).unit.by).toBe("tokens");
  });

  it("sets each new path without touching the original", () => {
    const a = default_answers();
    const cases: [AnswerPath, unknown][] = [
      ["query", "question"],
      ["query_id", "qid"],
      ["span_overlap", "allow"],
      ["unit.size", 200],
      ["unit.overlap", null],
      ["unit.by", "chars"],
      ["unit.thread", "conv"],
      ["unit.order", "turn"],
    ];
    let b = a;
    for (const [path, value] of cases) {
      b = set_answer(b, path, value);
      expect(get_answer(b, path)).toBe(value);
    }

    expect(a).toEqual(default_answers());
    expect(b).toMatchObject({ query: "question", query_id: "qid", span_overlap: "allow" });
    expect(b.unit).toEqual({
      size: 200,
      overlap: null,
      by: "chars",
      thread: "conv",
      order: "turn",
    });
    expect(get_answer(b, "task")).toBe("classification");
  });

  it("clones the unit options apart", () => {
    const a = set_answer(default_answers(), "unit.size", 100);
    const b = clone_answers(a);
    b.unit.size = 5;

    expect(a.unit.size).toBe(100);
    expect(b.unit).not.toBe(a.unit);
    expect(set_answer(a, "unit.overlap", 10).unit).toEqual({ ...a.unit, overlap: 10 });
    expect(a.unit.overlap).toBeNull();
  });

  it("unit numbers are parsed like the other number fields", () => {
    const a = set_answer(default_answers(), "unit.size", parse_number(" 300 "));
    const b = set_answer(a, "unit.overlap", parse_number(""));
    const c = set_answer(b, "unit.size", parse_number("lots"));

    expect(b.unit).toMatchObject({ size: 300, overlap: null });
    expect(c.unit.size).toBe("lots");
  });

  it.each([
    ["classification", "row", { query: false, span_overlap: false, chunk: false, message: false }],
    ["ranking", "row", { query: true, span_overlap: false, chunk: false, message: false }],
    ["extraction", "document", { query: false, span_overlap: true, chunk: false, message: false }],
    ["extraction", "chunk", { query: false, span_overlap: true, chunk: true, message: false }],
    ["multilabel", "message", { query: false, span_overlap: false, chunk: false, message: true }],
    ["other", "sentence", { query: false, span_overlap: false, chunk: false, message: false }],
  ])("shows the options of task %s, unit %s", (task, unit, expected) => {
    expect(shown_options({ task, prediction_unit: unit })).toEqual(expected);
  });

  it("the label schema's hint follows the task", () => {
    expect(schema_text("extraction").hint.toLowerCase()).toContain("the span types");
    expect(schema_text("extraction").add).toBe("add a span type");
    expect(schema_text("ranking").hint.toLowerCase()).toContain("the grades, lowest first");
    expect(schema_text("ranking").add).toBe("add a grade");
    expect(schema_text("other").hint.toLowerCase()).toContain("a number per item: no labels");
    expect(schema_text("classification").add).toBe("add a label");
    expect(schema_text("multilabel").hint).not.toBe("");
    expect(schema_text("mystery")).toEqual({ hint: "", add: "add a label" });
  });

  it("every task and unit is ready when Python sends no choices", () => {
    expect(Object.values(DEFAULT_CHOICES.tasks)).toEqual(Array(5).fill("ready"));
    expect(Object.keys(DEFAULT_CHOICES.units)).toEqual([
      "row",
      "document",
      "sentence",
      "chunk",
      "message",
    ]);
    expect(Object.values(DEFAULT_CHOICES.units)).toEqual(Array(5).fill("ready"));
  });

  it("the new error fields have a place in the form", () => {
    const errors = { query: "a", query_id: "b", span_overlap: "c", unit: "d", seed: "e" };

    expect(other_errors(errors)).toEqual([["seed", "e"]]);
  });
});
