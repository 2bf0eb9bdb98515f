/**
 * The interview form (mode "interview"): a thin view over interview_state.ts.
 *
 * The form is built once. Each edit updates the page's answers and sends them all
 * (`interview_change`, typing debounced); Python answers with a new `interview` trait, from
 * which only the derived parts are redrawn (errors, data summary, label status, code, choices).
 * An input the user is typing in is never re-created nor rewritten, so focus and caret stay.
 * Text from Python reaches the DOM through textContent and value only.
 */
import type { AnyModel } from "@anywidget/types";
import {
  type AnswerPath,
  add_label,
  BUDGET_KEYS,
  CHUNK_BY,
  column_options,
  counts_text,
  create_debouncer,
  DEBOUNCE_MS,
  default_answers,
  default_hotkeys,
  edit_label,
  feature_options,
  format_number,
  get_answer,
  type InterviewView,
  labels_from_counts,
  other_errors,
  parse_number,
  read_interview,
  remove_label,
  SentLog,
  SPAN_OVERLAPS,
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
  type Timing,
  toggle_feature,
  with_current,
} from "./interview_state";
import type { Answers, Budget, LabelAnswer, LabelStatus, Message, Traits } from "./types";

type Model = AnyModel<Traits>;
type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type OptionGroup = { label: string | null; options: [value: string, text: string][] };

let n_views = 0;

/** One group of options, without a heading. */
const plain = (options: [value: string, text: string][]): OptionGroup[] => [
  { label: null, options },
];

const SOURCE_LABELS: [kind: "dataframe" | "file" | "sql", text: string][] = [
  ["dataframe", "a DataFrame in the notebook"],
  ["file", "a file"],
  ["sql", "a SQL query"],
];
const HOLDOUT_LABELS: [kind: "fraction" | "dataframe" | "file" | "none", text: string][] = [
  ["fraction", "a fraction of the data"],
  ["dataframe", "a DataFrame"],
  ["file", "a file"],
  ["none", "none"],
];
const CHUNK_BY_LABELS: Record<(typeof CHUNK_BY)[number], string> = {
  tokens: "tokens",
  chars: "characters",
};
const BUDGET_LABELS: Record<keyof Budget, string> = {
  max_labels: "examples",
  max_rounds: "rounds",
  max_minutes: "minutes",
  max_cost: "money",
  cost_per_label: "cost per label",
};

export function render_interview(model: Model, el: HTMLElement): () => void {
  const doc = el.ownerDocument;
  const uid = `jal-iv${++n_views}`;
  let n_ids = 0;
  const new_id = () => `${uid}-${++n_ids}`;
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, cls = "", testid = "") => {
    const node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (testid) node.dataset.testid = testid;
    return node;
  };
  const text_node = <K extends keyof HTMLElementTagNameMap>(tag: K, text: string, cls = "") => {
    const node = make(tag, cls);
    node.textContent = text;
    return node;
  };

  let iv: InterviewView = read_interview(model.get("interview"));
  let answers: Answers = iv.answers ?? default_answers();
  const sent = new SentLog();
  // `t` of the submit Python has not answered yet (its ack_t says when it has)
  let submit_t: number | null = null;
  let copy_note_timer: ReturnType<typeof setTimeout> | null = null;

  // everything that shows an answer, re-read after each change (focused text fields excepted)
  const syncs: (() => void)[] = [];
  let row_syncs: (() => void)[] = []; // the label list's, replaced when its rows are
  const sync_all = () => {
    for (const s of syncs) s();
    for (const s of row_syncs) s();
  };
  // the node's own root: marimo renders widgets in a shadow root (document sees only its host)
  const focused = (node: Element) =>
    (node.getRootNode() as Document | ShadowRoot).activeElement === node;

  // ------------------------------------------------------------------ sending
  function send(kind: "interview_change" | "interview_submit"): void {
    const copy = JSON.parse(JSON.stringify(answers)) as Answers;
    sent.add(stable_key(copy));
    const t = performance.now();
    const msg: Message = { kind, answers: copy, t };
    if (kind === "interview_submit") submit_t = t;
    model.send(msg);
  }
  const debouncer = create_debouncer(() => send("interview_change"), DEBOUNCE_MS);

  /** Adopt the page's new answers, show them, and send them (now or after the typing). */
  function change(next: Answers, timing: Timing): void {
    answers = next;
    draw_label_rows();
    sync_all();
    draw();
    if (timing === "now") {
      debouncer.cancel(); // this message carries the typing too
      send("interview_change");
    } else {
      debouncer.schedule();
    }
  }

  /** Bind a text, number or select control to one answer (read: answers -> its value). */
  function bind(
    control: Control,
    read: () => string,
    write: (value: string) => Answers,
    into = syncs,
  ): void {
    const timing = send_timing(control);
    if (timing === "debounce") {
      control.addEventListener("input", () => change(write(control.value), "debounce"));
      control.addEventListener("change", () => debouncer.flush()); // blur or Enter: send now
    } else {
      control.addEventListener("change", () => change(write(control.value), "now"));
    }
    into.push(() => {
      if (timing === "debounce" && focused(control)) return; // never under the user's caret
      const value = read();
      if (control.value !== value) control.value = value;
    });
  }

  function input(testid: string, type: "text" | "number" = "text", placeholder = "") {
    const node = make("input", "jal-iv-input", testid);
    node.type = type;
    node.id = new_id();
    node.autocomplete = "off";
    node.spellcheck = false;
    if (placeholder) node.placeholder = placeholder;
    return node;
  }

  function text_field(testid: string, path: AnswerPath, placeholder = "") {
    const node = input(testid, "text", placeholder);
    bind(
      node,
      () => String(get_answer(answers, path) ?? ""),
      (v) => set_answer(answers, path, v),
    );
    return node;
  }

  function number_field(testid: string, path: AnswerPath, attrs: Record<string, string> = {}) {
    const node = input(testid, "number");
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    bind(
      node,
      () => format_number(get_answer(answers, path) as Answers["batch_size"]),
      (v) => set_answer(answers, path, parse_number(v)),
    );
    return node;
  }

  function select(testid: string) {
    const node = make("select", "jal-iv-select", testid);
    node.id = new_id();
    return node;
  }

  const option_keys = new WeakMap<HTMLSelectElement, string>();
  /** Replace a select's options (only when they changed), keeping its value. */
  function set_options(node: HTMLSelectElement, groups: OptionGroup[], value: string): void {
    const key = stable_key(groups);
    if (option_keys.get(node) !== key) {
      option_keys.set(node, key);
      node.textContent = "";
      for (const g of groups) {
        if (!g.options.length) continue;
        let parent: HTMLSelectElement | HTMLOptGroupElement = node;
        if (g.label !== null) {
          parent = make("optgroup");
          parent.label = g.label;
          node.append(parent);
        }
        for (const [v, text] of g.options) {
          const option = make("option");
          option.value = v;
          option.textContent = text;
          parent.append(option);
        }
      }
    }
    if (node.value !== value) node.value = value;
  }

  /** A label + control line; the label names the control for screen readers too. */
  function row(text: string, control: HTMLElement, cls = "") {
    const line = make("div", `jal-iv-row ${cls}`.trim());
    const label = text_node("label", text, "jal-iv-name");
    label.htmlFor = control.id;
    line.append(label, control);
    return line;
  }

  function section(title: string, cls = "") {
    const fs = make("fieldset", `jal-iv-section ${cls}`.trim());
    fs.append(text_node("legend", title));
    form.append(fs);
    return fs;
  }

  /** Radio buttons in a container; `rebuild` replaces them when the choices change. */
  function radios(
    name: string,
    read: () => string,
    write: (value: string) => Answers,
    testid: (value: string) => string,
  ) {
    const box = make("div", "jal-iv-radios");
    box.setAttribute("role", "radiogroup");
    let key = "";
    const rebuild = (choices: [value: string, text: string, coming: boolean][]) => {
      const k = stable_key(choices);
      if (k === key) return;
      key = k;
      box.textContent = "";
      for (const [value, text, coming] of choices) {
        const label = make("label", "jal-iv-choice");
        const r = make("input", "", testid(value));
        r.type = "radio";
        r.name = `${uid}-${name}`;
        r.value = value;
        r.disabled = coming;
        r.checked = value === read();
        r.addEventListener("change", () => {
          if (r.checked) change(write(value), "now");
        });
        label.append(r, text_node("span", text));
        if (coming) {
          label.classList.add("jal-iv-coming");
          label.append(text_node("span", "coming", "jal-iv-badge"));
        }
        box.append(label);
      }
    };
    syncs.push(() => {
      for (const r of box.querySelectorAll<HTMLInputElement>("input[type=radio]")) {
        r.checked = r.value === read();
      }
    });
    return { box, rebuild };
  }

  // error slots: one per field, next to it
  const slots = new Map<string, { node: HTMLElement; inputs: () => Element[] }>();
  function error_slot(field: string, inputs: () => Element[]) {
    const node = make("div", "jal-iv-error", `jal-error-${field}`);
    node.id = new_id();
    node.setAttribute("role", "alert");
    node.dir = "auto";
    node.hidden = true;
    slots.set(field, { node, inputs });
    return node;
  }
  const all_in = (box: Element) => () => [...box.querySelectorAll("input, select, textarea")];

  // ------------------------------------------------------------------ skeleton
  const root = make("div", "jal-root jal-iv-root", "jal-root");
  root.dataset.mode = "interview";
  // JupyterLab skips its shortcuts under this attribute; keys also stop at the root (below)
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const form = make("form", "jal-iv", "jal-interview");
  form.noValidate = true;
  form.setAttribute("aria-label", "set up the labeling session");
  const intro = text_node(
    "p",
    "Answer a few questions to set up active learning; the code below does the same in Python.",
    "jal-iv-intro",
  );
  root.append(intro, form);

  // data source
  const s_source = section("Data source");
  const source_kinds = radios(
    "source",
    () => answers.source.kind,
    (v) => set_answer(answers, "source.kind", v),
    (v) => `jal-iv-source-kind-${v}`,
  );
  source_kinds.rebuild(SOURCE_LABELS.map(([k, t]) => [k, t, false]));
  const source_name = text_field("jal-iv-source-name", "source.name", "df");
  const source_path = text_field("jal-iv-source-path", "source.path", "data/reviews.csv");
  const source_query = make("textarea", "jal-iv-input jal-iv-query", "jal-iv-source-query");
  source_query.id = new_id();
  source_query.rows = 2;
  source_query.spellcheck = false;
  source_query.placeholder = "SELECT * FROM reviews";
  bind(
    source_query,
    () => answers.source.query,
    (v) => set_answer(answers, "source.query", v),
  );
  const source_url = text_field("jal-iv-source-url", "source.url", "sqlite:///data.db");
  const r_source_name = row("variable name", source_name);
  const r_source_path = row("file path", source_path);
  const r_source_query = row("SQL query", source_query);
  const r_source_url = row("connection URL", source_url);
  s_source.append(
    source_kinds.box,
    r_source_name,
    r_source_path,
    r_source_query,
    r_source_url,
    error_slot("source", () => [source_name, source_path, source_query, source_url]),
  );

  // the data as Python found it
  const s_summary = section("Your data", "jal-iv-summary");
  const summary_box = make("div", "", "jal-iv-summary");
  s_summary.append(summary_box);

  // labeled?
  const s_labeled = section("Labeled?");
  const label_column = select("jal-iv-label-column");
  bind(
    label_column,
    () => answers.label_column ?? "",
    (v) => set_label_column(answers, v || null),
  );
  const label_status = make("div", "jal-iv-status", "jal-iv-label-status");
  label_status.setAttribute("aria-live", "polite");
  s_labeled.append(
    row("label column", label_column),
    error_slot("label_column", () => [label_column]),
    label_status,
  );

  // task type, prediction unit
  const s_task = section("Task type");
  const tasks = radios(
    "task",
    () => answers.task,
    (v) => set_answer(answers, "task", v),
    (v) => `jal-iv-task-${v}`,
  );
  // ranking: the query column (text is the document) and an optional query-id column
  const query = select("jal-iv-query");
  bind(
    query,
    () => answers.query ?? "",
    (v) => set_answer(answers, "query", v || null),
  );
  const query_id = select("jal-iv-query-id");
  bind(
    query_id,
    () => answers.query_id ?? "",
    (v) => set_answer(answers, "query_id", v || null),
  );
  // extraction: how spans may overlap
  const span_overlap = select("jal-iv-span-overlap");
  set_options(span_overlap, plain(SPAN_OVERLAPS.map((o) => [o, o])), answers.span_overlap);
  bind(
    span_overlap,
    () => answers.span_overlap,
    (v) => set_answer(answers, "span_overlap", v),
  );
  const r_query = row("query column", query);
  const r_query_id = row("query id column", query_id);
  const r_span_overlap = row("span overlap", span_overlap);
  const span_note = text_node(
    "div",
    "forbid: spans never overlap · nested: a span may lie inside another · allow: any overlap",
    "jal-iv-note",
  );
  s_task.append(
    tasks.box,
    error_slot("task", all_in(tasks.box)),
    r_query,
    error_slot("query", () => [query]),
    r_query_id,
    error_slot("query_id", () => [query_id]),
    r_span_overlap,
    span_note,
    error_slot("span_overlap", () => [span_overlap]),
  );
  const s_unit = section("Prediction unit");
  const units = radios(
    "unit",
    () => answers.prediction_unit,
    (v) => set_answer(answers, "prediction_unit", v),
    (v) => `jal-iv-unit-${v}`,
  );
  // chunk units: size and overlap, counted in tokens or characters
  const unit_size = number_field("jal-iv-unit-size", "unit.size", {
    min: "1",
    step: "1",
    placeholder: "e.g. 200",
  });
  const unit_overlap = number_field("jal-iv-unit-overlap", "unit.overlap", {
    min: "0",
    step: "1",
    placeholder: "0",
  });
  const unit_by = select("jal-iv-unit-by");
  set_options(
    unit_by,
    plain(CHUNK_BY.map((b) => [b, CHUNK_BY_LABELS[b]])),
    answers.unit.by ?? "tokens",
  );
  bind(
    unit_by,
    () => answers.unit.by ?? "tokens", // Python counts tokens when it is not given
    (v) => set_answer(answers, "unit.by", v || null),
  );
  // message units: the conversation and the order of its messages
  const unit_thread = select("jal-iv-unit-thread");
  bind(
    unit_thread,
    () => answers.unit.thread ?? "",
    (v) => set_answer(answers, "unit.thread", v || null),
  );
  const unit_order = select("jal-iv-unit-order");
  bind(
    unit_order,
    () => answers.unit.order ?? "",
    (v) => set_answer(answers, "unit.order", v || null),
  );
  const r_unit_size = row("chunk size", unit_size);
  const r_unit_overlap = row("overlap", unit_overlap);
  const r_unit_by = row("counted in", unit_by);
  const r_unit_thread = row("thread column", unit_thread);
  const r_unit_order = row("order column", unit_order);
  s_unit.append(
    units.box,
    error_slot("prediction_unit", all_in(units.box)),
    r_unit_size,
    r_unit_overlap,
    r_unit_by,
    r_unit_thread,
    r_unit_order,
    error_slot("unit", () => [unit_size, unit_overlap, unit_by, unit_thread, unit_order]),
  );

  // what to label
  const s_what = section("What to label");
  const text_column = select("jal-iv-text");
  bind(
    text_column,
    () => answers.text ?? "",
    (v) => set_text(answers, v || null),
  );
  const features = make("div", "jal-iv-features");
  features.setAttribute("role", "group");
  features.setAttribute("aria-label", "numeric feature columns");
  let features_key = "";
  syncs.push(() => {
    for (const box of features.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) {
      box.checked = (answers.features ?? []).includes(box.value);
    }
  });
  s_what.append(
    row("text column", text_column),
    error_slot("text", () => [text_column]),
    text_node("div", "or numeric feature columns", "jal-iv-name jal-iv-or"),
    features,
    error_slot("features", all_in(features)),
  );

  // label schema
  const s_schema = section("Label schema", "jal-iv-wide");
  const schema_hint = make("div", "jal-iv-note", "jal-iv-labels-hint");
  const label_rows = make("div", "jal-iv-labels");
  const label_add = make("button", "jal-button", "jal-iv-label-add");
  label_add.type = "button";
  label_add.textContent = "add a label";
  const labels_from = make("button", "jal-button", "jal-iv-labels-from-column");
  labels_from.type = "button";
  const schema_tools = make("div", "jal-iv-tools");
  schema_tools.append(label_add, labels_from);
  s_schema.append(schema_hint, label_rows, error_slot("labels", all_in(label_rows)), schema_tools);

  // metric, strategy and batch size
  const s_model = section("Metric and strategy");
  const metric = select("jal-iv-metric");
  bind(
    metric,
    () => answers.metric,
    (v) => set_answer(answers, "metric", v),
  );
  const strategy = select("jal-iv-strategy");
  bind(
    strategy,
    () => answers.strategy,
    (v) => set_answer(answers, "strategy", v),
  );
  const batch_size = number_field("jal-iv-batch-size", "batch_size", { min: "1", step: "1" });
  s_model.append(
    row("metric", metric),
    error_slot("metric", () => [metric]),
    row("strategy", strategy),
    error_slot("strategy", () => [strategy]),
    row("batch size", batch_size),
    error_slot("batch_size", () => [batch_size]),
  );

  // held-out set
  const s_holdout = section("Held-out set");
  const holdout_kinds = radios(
    "holdout",
    () => answers.holdout.kind,
    (v) => set_answer(answers, "holdout.kind", v),
    (v) => `jal-iv-holdout-kind-${v}`,
  );
  holdout_kinds.rebuild(HOLDOUT_LABELS.map(([k, t]) => [k, t, false]));
  const holdout_fraction = number_field("jal-iv-holdout-fraction", "holdout.fraction", {
    min: "0",
    max: "1",
    step: "0.05",
  });
  const holdout_name = text_field("jal-iv-holdout-name", "holdout.name", "test_df");
  const holdout_path = text_field("jal-iv-holdout-path", "holdout.path", "data/test.csv");
  const holdout_column = select("jal-iv-holdout-label-column");
  bind(
    holdout_column,
    () => answers.holdout.label_column ?? "",
    (v) => set_answer(answers, "holdout.label_column", v || null),
  );
  const holdout_status = make("div", "jal-iv-status", "jal-iv-holdout-status");
  const r_holdout_fraction = row("fraction", holdout_fraction);
  const r_holdout_name = row("variable name", holdout_name);
  const r_holdout_path = row("file path", holdout_path);
  const r_holdout_column = row("gold label column", holdout_column);
  s_holdout.append(
    holdout_kinds.box,
    r_holdout_fraction,
    r_holdout_name,
    r_holdout_path,
    r_holdout_column,
    holdout_status,
    error_slot("holdout", () => [holdout_fraction, holdout_name, holdout_path, holdout_column]),
  );

  // budget
  const s_budget = section("Budget");
  const budget_grid = make("div", "jal-iv-budget");
  const budget_inputs = BUDGET_KEYS.map((key) => {
    const integer = key === "max_labels" || key === "max_rounds";
    const node = number_field(`jal-iv-budget-${key}`, `budget.${key}`, {
      min: "0",
      step: integer ? "1" : "any",
      placeholder: "no limit",
    });
    budget_grid.append(row(BUDGET_LABELS[key], node));
    return node;
  });
  s_budget.append(
    budget_grid,
    text_node(
      "div",
      "Empty means no limit; a money budget needs the cost per label.",
      "jal-iv-note",
    ),
    error_slot("budget", () => budget_inputs),
  );

  // LLM judge
  const s_judge = section("LLM judge");
  const judge = make("input", "", "jal-iv-llm-judge");
  judge.type = "checkbox";
  judge.id = new_id();
  judge.addEventListener("change", () =>
    change(set_answer(answers, "llm_judge", judge.checked), "now"),
  );
  syncs.push(() => {
    judge.checked = answers.llm_judge;
  });
  const judge_label = make("label", "jal-iv-choice");
  judge_label.append(judge, text_node("span", "an LLM may act as a judge"));
  s_judge.append(
    judge_label,
    text_node(
      "div",
      "LLM judges arrive in a later release; this only records your answer.",
      "jal-iv-note",
    ),
    error_slot("llm_judge", () => [judge]),
  );

  // copy as code
  const s_code = section("Copy as code", "jal-iv-wide");
  const code = make("pre", "jal-iv-code", "jal-iv-code");
  code.tabIndex = 0; // scrollable by keyboard
  const copy = make("button", "jal-button", "jal-iv-copy");
  copy.type = "button";
  copy.textContent = "copy";
  const copy_note = make("span", "jal-iv-note");
  copy_note.setAttribute("aria-live", "polite");
  const copy_tools = make("div", "jal-iv-tools");
  copy_tools.append(copy, copy_note);
  s_code.append(code, copy_tools);

  // submit
  const footer = make("div", "jal-iv-footer");
  const others = make("ul", "jal-iv-others", "jal-iv-errors");
  const general = make("div", "jal-error", "jal-iv-error");
  general.setAttribute("role", "alert");
  general.dir = "auto";
  const submit = make("button", "jal-button jal-primary", "jal-iv-submit");
  submit.type = "button";
  footer.append(others, general, submit);
  form.append(footer);

  el.append(root);

  // ------------------------------------------------------------------ the label list
  let n_rows = -1;
  const label_input = (i: number, field: keyof LabelAnswer, testid: string, text: string) => {
    const node = input(`${testid}-${i}`, "text");
    node.setAttribute("aria-label", `label ${i + 1}: ${text}`);
    bind(
      node,
      () => answers.labels[i]?.[field] ?? "",
      (v) => edit_label(answers, i, field, v),
      row_syncs,
    );
    return node;
  };
  /** Rebuild the rows when their number changes (values are synced, never rebuilt). */
  function draw_label_rows(): void {
    if (answers.labels.length === n_rows) return;
    n_rows = answers.labels.length;
    label_rows.textContent = "";
    row_syncs = [];
    if (!n_rows) {
      label_rows.append(text_node("div", "no labels yet", "jal-iv-note"));
    } else {
      const head = make("div", "jal-iv-label-row jal-iv-label-head");
      head.append(
        text_node("span", "name"),
        text_node("span", "description (optional)"),
        text_node("span", "key"),
        make("span"),
      );
      label_rows.append(head);
    }
    for (let i = 0; i < n_rows; i++) {
      const line = make("div", "jal-iv-label-row");
      const name = label_input(i, "name", "jal-iv-label-name", "name");
      name.placeholder = "name";
      const desc = label_input(i, "description", "jal-iv-label-desc", "description");
      desc.placeholder = "what it means";
      const key = label_input(i, "key", "jal-iv-label-key", "hotkey (one character)");
      key.classList.add("jal-iv-key");
      key.size = 2;
      key.addEventListener("focus", () => key.select()); // a key typed replaces the old one
      // the stored key is one lower-case character: show it at once (it replaces the old one)
      key.addEventListener("input", () => {
        const stored = answers.labels[i]?.key ?? "";
        if (key.value !== stored) key.value = stored;
      });
      const remove = make("button", "jal-button jal-iv-remove", `jal-iv-label-remove-${i}`);
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `remove label ${i + 1}`);
      remove.addEventListener("click", () => {
        change(remove_label(answers, i), "now");
        const next =
          label_rows.querySelector<HTMLElement>(`[data-testid="jal-iv-label-remove-${i}"]`) ??
          label_rows.querySelector<HTMLElement>(`[data-testid="jal-iv-label-remove-${i - 1}"]`);
        (next ?? label_add).focus();
      });
      line.append(name, desc, key, remove);
      label_rows.append(line);
    }
    draw_key_placeholders();
  }

  function draw_key_placeholders(): void {
    const defaults = default_hotkeys(answers.labels.map((l) => l.name.trim()));
    answers.labels.forEach((_l, i) => {
      const key = label_rows.querySelector<HTMLInputElement>(
        `[data-testid="jal-iv-label-key-${i}"]`,
      );
      if (key) key.placeholder = defaults[i] ?? "";
    });
  }

  label_add.addEventListener("click", () => {
    change(add_label(answers), "now");
    label_rows
      .querySelector<HTMLElement>(`[data-testid="jal-iv-label-name-${answers.labels.length - 1}"]`)
      ?.focus();
  });
  labels_from.addEventListener("click", () => {
    const status = current_label_status();
    if (status) change(labels_from_counts(answers, status.counts), "now");
  });

  // ------------------------------------------------------------------ drawing
  /** Python's status of the label column, if it was computed for the page's column. */
  function current_label_status() {
    const remote = iv.answers?.label_column ?? null;
    if (!answers.label_column || remote !== answers.label_column) return null;
    return iv.label_status.label_column;
  }

  function column_groups(
    likely: readonly string[],
    likely_label: string,
    current: string | null,
    none: string,
  ) {
    const o = column_options(iv.summary, likely, current);
    const groups: OptionGroup[] = [{ label: null, options: [["", none]] }];
    const opts = (names: string[]): [string, string][] => names.map((n) => [n, n]);
    if (o.likely.length && o.others.length) {
      groups.push({ label: likely_label, options: opts(o.likely) });
      groups.push({ label: "other columns", options: opts(o.others) });
    } else {
      groups.push({ label: null, options: opts([...o.likely, ...o.others]) });
    }
    if (o.missing) groups.push({ label: "not in the data", options: [[o.missing, o.missing]] });
    return groups;
  }

  let drawn_summary: InterviewView["summary"] | undefined;
  function draw_summary(): void {
    const s = iv.summary;
    if (s === drawn_summary) return; // a new object only comes with a new trait
    drawn_summary = s;
    const key = stable_key(s);
    if (summary_box.dataset.key === key) return;
    summary_box.dataset.key = key;
    summary_box.textContent = "";
    if (!s) {
      summary_box.append(
        text_node("div", "No data yet: point the data source at it.", "jal-iv-note"),
      );
      return;
    }
    const n = s.columns.length;
    summary_box.append(
      text_node(
        "div",
        `${s.n_rows.toLocaleString("en-US")} rows · ${n} ${n === 1 ? "column" : "columns"}`,
        "jal-iv-rows",
      ),
    );
    const wrap = make("div", "jal-iv-table-wrap");
    const table = make("table", "jal-table jal-iv-columns");
    const head = make("tr");
    for (const h of ["column", "kind", "missing", "example"]) head.append(text_node("th", h));
    table.append(make("thead"), make("tbody"));
    table.tHead?.append(head);
    for (const c of s.columns) {
      const tr = make("tr");
      const name = text_node("td", c.name);
      name.dir = "auto";
      const kind = text_node("td", c.kind);
      kind.title = c.dtype;
      const example = text_node("td", c.example ?? "—", "jal-iv-example");
      example.dir = "auto";
      tr.append(name, kind, text_node("td", c.n_missing.toLocaleString("en-US")), example);
      table.tBodies[0]?.append(tr);
    }
    wrap.append(table);
    summary_box.append(wrap);
  }

  function draw_status(
    node: HTMLElement,
    column: string | null,
    status: LabelStatus | null,
    remote: string | null,
    none: string,
  ) {
    node.textContent = "";
    if (!column) {
      node.append(text_node("div", none, "jal-iv-note"));
    } else if (remote !== column) {
      node.append(text_node("div", "checking…", "jal-iv-note"));
    } else if (!status) {
      node.append(text_node("div", "—", "jal-iv-note"));
    } else {
      const line = text_node("div", status_text(status), "jal-iv-status-line");
      line.dataset.status = status.status;
      node.append(line);
      const counts = counts_text(status);
      if (counts) {
        const c = text_node("div", counts, "jal-iv-counts");
        c.dir = "auto";
        node.append(c);
      }
    }
  }

  function draw_choices(): void {
    const ch = iv.choices;
    const entries = (r: Record<string, "ready" | "coming">, current: string) => {
      const list = Object.entries(r).map(([name, s]): [string, string, boolean] => [
        name,
        name,
        s !== "ready",
      ]);
      if (!(current in r)) list.push([current, current, false]);
      return list;
    };
    tasks.rebuild(entries(ch.tasks, answers.task));
    units.rebuild(entries(ch.units, answers.prediction_unit));
    const names_of = (list: string[]): [string, string][] => list.map((m) => [m, m]);
    set_options(metric, plain(names_of(with_current(ch.metrics, answers.metric))), answers.metric);
    set_options(
      strategy,
      plain(names_of(with_current(ch.strategies, answers.strategy))),
      answers.strategy,
    );
    const s = iv.summary;
    set_options(
      text_column,
      column_groups(
        s?.text_candidates ?? [],
        "likely text",
        answers.text,
        "— none (feature columns) —",
      ),
      answers.text ?? "",
    );
    set_options(
      query,
      column_groups(s?.text_candidates ?? [], "likely text", answers.query, "— choose —"),
      answers.query ?? "",
    );
    set_options(query_id, column_groups([], "", answers.query_id, "none"), answers.query_id ?? "");
    set_options(
      unit_thread,
      column_groups([], "", answers.unit.thread, "— choose —"),
      answers.unit.thread ?? "",
    );
    set_options(
      unit_order,
      column_groups(s?.numeric_candidates ?? [], "numeric", answers.unit.order, "— choose —"),
      answers.unit.order ?? "",
    );
    const label_likely = s?.label_candidates ?? [];
    set_options(
      label_column,
      column_groups(label_likely, "likely labels", answers.label_column, "none"),
      answers.label_column ?? "",
    );
    set_options(
      holdout_column,
      column_groups(label_likely, "likely labels", answers.holdout.label_column, "none"),
      answers.holdout.label_column ?? "",
    );
    const names = feature_options(s, answers.features);
    const key = stable_key(names);
    if (key !== features_key) {
      features_key = key;
      features.textContent = "";
      if (!names.length) {
        features.append(
          text_node(
            "div",
            s ? "no numeric columns" : "load the data to see its columns",
            "jal-iv-note",
          ),
        );
      }
      for (const name of names) {
        const label = make("label", "jal-iv-choice");
        const box = make("input", "", `jal-iv-feature-${name}`);
        box.type = "checkbox";
        box.value = name;
        box.checked = (answers.features ?? []).includes(name);
        box.addEventListener("change", () =>
          change(toggle_feature(answers, name, box.checked), "now"),
        );
        const text = text_node("span", name);
        text.dir = "auto";
        label.append(box, text);
        features.append(label);
      }
    }
  }

  function draw_errors(): void {
    for (const [field, slot] of slots) {
      const message = iv.errors[field] ?? "";
      if (slot.node.textContent !== message) slot.node.textContent = message;
      slot.node.hidden = !message;
      for (const input of slot.inputs()) {
        if (message) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", slot.node.id);
        } else if (input.getAttribute("aria-describedby") === slot.node.id) {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      }
    }
    const rest = other_errors(iv.errors);
    const key = stable_key(rest);
    if (others.dataset.key !== key) {
      others.dataset.key = key;
      others.textContent = "";
      for (const [field, message] of rest) {
        const li = text_node("li", `${field}: ${message}`, "jal-iv-error");
        li.dataset.testid = `jal-error-${field}`;
        li.setAttribute("role", "alert");
        li.dir = "auto";
        others.append(li);
      }
    }
    others.hidden = !rest.length;
  }

  function draw_submit(): void {
    const n = Object.keys(iv.errors).length;
    submit.disabled = n > 0 || submit_t !== null;
    submit.textContent = submit_t !== null ? "starting…" : submit_text(n);
    const error = model.get("error");
    general.textContent = typeof error === "string" ? error : "";
    general.hidden = !general.textContent;
  }

  /** Everything derived from the answers and Python's trait (inputs are synced apart). */
  function draw(): void {
    const src = answers.source.kind;
    r_source_name.hidden = src !== "dataframe";
    r_source_path.hidden = src !== "file";
    r_source_query.hidden = src !== "sql";
    r_source_url.hidden = src !== "sql";
    const hold = answers.holdout.kind;
    r_holdout_fraction.hidden = hold !== "fraction";
    r_holdout_name.hidden = hold !== "dataframe";
    r_holdout_path.hidden = hold !== "file";
    r_holdout_column.hidden = hold === "none";
    const shown = shown_options(answers);
    r_query.hidden = !shown.query;
    r_query_id.hidden = !shown.query;
    r_span_overlap.hidden = !shown.span_overlap;
    span_note.hidden = !shown.span_overlap;
    r_unit_size.hidden = !shown.chunk;
    r_unit_overlap.hidden = !shown.chunk;
    r_unit_by.hidden = !shown.chunk;
    r_unit_thread.hidden = !shown.message;
    r_unit_order.hidden = !shown.message;
    const schema = schema_text(answers.task);
    if (schema_hint.textContent !== schema.hint) schema_hint.textContent = schema.hint;
    schema_hint.hidden = !schema.hint;
    if (label_add.textContent !== schema.add) label_add.textContent = schema.add;
    draw_choices();
    draw_summary();
    const remote = iv.answers;
    draw_status(
      label_status,
      answers.label_column,
      current_label_status(),
      remote?.label_column ?? null,
      "no label column: the data counts as unlabeled",
    );
    const hold_col = answers.holdout.label_column;
    holdout_status.hidden = hold !== "fraction" || !hold_col;
    if (!holdout_status.hidden) {
      const remote_col = remote?.holdout.label_column ?? null;
      draw_status(
        holdout_status,
        hold_col,
        remote_col === hold_col ? iv.label_status.holdout : null,
        remote_col,
        "",
      );
    }
    const from = current_label_status();
    labels_from.textContent = answers.label_column
      ? `use the labels found in ${answers.label_column}`
      : "use the labels found in the label column";
    labels_from.disabled = !from || !Object.keys(from.counts).length;
    draw_key_placeholders();
    if (code.textContent !== iv.code) code.textContent = iv.code;
    draw_errors();
    draw_submit();
  }

  // ------------------------------------------------------------------ copy as code
  function note(text: string): void {
    copy_note.textContent = text;
    if (copy_note_timer !== null) clearTimeout(copy_note_timer);
    copy_note_timer = setTimeout(() => {
      copy_note.textContent = "";
      copy_note_timer = null;
    }, 2500);
  }
  /** Old browsers and insecure pages: a selected textarea, copied or left for Ctrl+C. */
  function copy_fallback(text: string): void {
    const area = make("textarea", "jal-iv-copy-area");
    area.value = text;
    area.readOnly = true;
    copy_tools.append(area);
    area.focus();
    area.select();
    let ok = false;
    try {
      ok = doc.execCommand("copy");
    } catch {
      ok = false;
    }
    if (ok) {
      area.remove();
      note("copied");
    } else {
      note("press Ctrl+C (⌘C) to copy");
      area.addEventListener("blur", () => area.remove(), { once: true });
    }
  }
  copy.addEventListener("click", () => {
    const text = iv.code;
    const clip = doc.defaultView?.navigator.clipboard;
    if (clip && typeof clip.writeText === "function") {
      clip.writeText(text).then(
        () => note("copied"),
        () => copy_fallback(text),
      );
    } else {
      copy_fallback(text);
    }
  });

  // ------------------------------------------------------------------ input
  submit.addEventListener("click", () => {
    if (submit.disabled) return;
    debouncer.cancel(); // the submit carries the answers
    send("interview_submit");
    draw_submit();
  });
  form.addEventListener("submit", (e) => e.preventDefault()); // Enter in a field never submits
  // keys typed in the form are the form's: never the notebook's shortcuts (they still type)
  const on_key = (e: KeyboardEvent) => e.stopPropagation();
  root.addEventListener("keydown", on_key);

  // ------------------------------------------------------------------ traits
  const on_interview = () => {
    iv = read_interview(model.get("interview"));
    if (iv.answers) {
      const remote = stable_key(iv.answers);
      if (should_adopt(remote, stable_key(answers), sent, debouncer.pending())) {
        answers = iv.answers;
        draw_label_rows();
        sync_all();
      }
    }
    draw();
  };
  const on_ack = () => {
    const ack = Number(model.get("ack_t"));
    if (submit_t !== null && Number.isFinite(ack) && ack >= submit_t) submit_t = null;
    draw_submit();
  };
  const handlers: [string, () => void][] = [
    ["change:interview", on_interview],
    ["change:error", draw_submit],
    ["change:ack_t", on_ack],
  ];
  for (const [name, h] of handlers) model.on(name, h);

  draw_label_rows();
  sync_all();
  draw();

  return () => {
    for (const [name, h] of handlers) model.off(name, h);
    debouncer.cancel();
    if (copy_note_timer !== null) clearTimeout(copy_note_timer);
    root.removeEventListener("keydown", on_key);
    root.remove();
  };
}
