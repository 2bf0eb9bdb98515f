/**
 * The interview form's logic, apart from the DOM so it can be tested: the answers (shape of
 * jupyter_al/_interview.py's docstring) and their updates, the label list editor, number
 * parsing, when to send a change, and reading the `interview` trait safely.
 *
 * The page keeps its own copy of the answers: it is what the user sees and what every
 * `interview_change` carries. Python's copy (in the trait) only replaces it when Python changed
 * the answers by itself (not an echo of a message this page sent) and nothing is waiting to go.
 */
import { format_count } from "./format";
import type {
  Answers,
  Budget,
  Choices,
  ChunkBy,
  DataSummary,
  HoldoutKind,
  LabelAnswer,
  LabelStatus,
  NumberAnswer,
  SourceKind,
  SpanOverlap,
  UnitOptions,
} from "./types";

// ------------------------------------------------------------------ defaults and reading

/** Python's default_answers() with nothing given. */
export function default_answers(): Answers {
  return {
    source: { kind: "dataframe", name: "df", path: "", query: "", url: "" },
    task: "classification",
    prediction_unit: "row",
    text: null,
    features: null,
    label_column: null,
    labels: [],
    metric: "default",
    strategy: "default",
    batch_size: 10,
    holdout: { kind: "fraction", fraction: 0.2, name: "", path: "", label_column: null },
    budget: {
      max_labels: null,
      max_rounds: null,
      max_minutes: null,
      max_cost: null,
      cost_per_label: null,
    },
    llm_judge: false,
    query: null,
    query_id: null,
    span_overlap: "forbid",
    unit: { size: null, overlap: null, by: null, thread: null, order: null },
  };
}

/** The task types and units the form offers when Python sends no choices (its constants). */
export const DEFAULT_CHOICES: Choices = {
  tasks: {
    classification: "ready",
    multilabel: "ready",
    ranking: "ready",
    extraction: "ready",
    other: "ready",
  },
  units: {
    row: "ready",
    document: "ready",
    sentence: "ready",
    chunk: "ready",
    message: "ready",
  },
  metrics: ["default"],
  strategies: ["default"],
};

export const SOURCE_KINDS: readonly SourceKind[] = ["dataframe", "file", "sql"];
export const HOLDOUT_KINDS: readonly HoldoutKind[] = ["fraction", "dataframe", "file", "none"];
export const SPAN_OVERLAPS: readonly SpanOverlap[] = ["forbid", "nested", "allow"];
export const CHUNK_BY: readonly ChunkBy[] = ["tokens", "chars"];
export const UNIT_KEYS: readonly (keyof UnitOptions)[] = [
  "size",
  "overlap",
  "by",
  "thread",
  "order",
];
export const BUDGET_KEYS: readonly (keyof Budget)[] = [
  "max_labels",
  "max_rounds",
  "max_minutes",
  "max_cost",
  "cost_per_label",
];

/** The error fields Python's validate() uses, in the form's order. */
export const ERROR_FIELDS = [
  "source",
  "label_column",
  "task",
  "query",
  "query_id",
  "span_overlap",
  "prediction_unit",
  "unit",
  "text",
  "features",
  "labels",
  "metric",
  "strategy",
  "batch_size",
  "holdout",
  "budget",
  "llm_judge",
] as const;

type Obj = Record<string, unknown>;
const is_obj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
const opt_str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
function num(v: unknown, fallback: NumberAnswer): NumberAnswer {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v === null || typeof v === "string") return v;
  return fallback;
}
function one_of<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(v as T) ? (v as T) : fallback;
}

function read_label(v: unknown): LabelAnswer {
  if (!is_obj(v))
    return { name: v === null || v === undefined ? "" : String(v), description: "", key: "" };
  return {
    name: v.name === null || v.name === undefined ? "" : String(v.name),
    description: str(v.description),
    key: str(v.key),
  };
}

/** Complete, well-typed answers from whatever Python sent (missing parts get the defaults). */
export function normalize_answers(raw: unknown): Answers {
  const d = default_answers();
  const a = is_obj(raw) ? raw : {};
  const src: Obj = is_obj(a.source) ? a.source : { ...d.source };
  const hold = is_obj(a.holdout) ? a.holdout : {};
  const budget = is_obj(a.budget) ? a.budget : {};
  const unit = is_obj(a.unit) ? a.unit : {};
  const features = Array.isArray(a.features) ? a.features.map(String) : [];
  return {
    source: {
      kind: one_of(src.kind, SOURCE_KINDS, d.source.kind),
      name: str(src.name),
      path: str(src.path),
      query: str(src.query),
      url: str(src.url),
    },
    task: str(a.task, d.task) || d.task,
    prediction_unit: str(a.prediction_unit, d.prediction_unit) || d.prediction_unit,
    text: opt_str(a.text),
    features: features.length ? features : null,
    label_column: opt_str(a.label_column),
    labels: Array.isArray(a.labels) ? a.labels.map(read_label) : [],
    metric: str(a.metric, d.metric) || d.metric,
    strategy: str(a.strategy, d.strategy) || d.strategy,
    batch_size: num(a.batch_size, d.batch_size),
    holdout: {
      kind: one_of(hold.kind, HOLDOUT_KINDS, d.holdout.kind),
      fraction: num(hold.fraction, d.holdout.fraction),
      name: str(hold.name),
      path: str(hold.path),
      label_column: opt_str(hold.label_column),
    },
    budget: {
      max_labels: num(budget.max_labels, null),
      max_rounds: num(budget.max_rounds, null),
      max_minutes: num(budget.max_minutes, null),
      max_cost: num(budget.max_cost, null),
      cost_per_label: num(budget.cost_per_label, null),
    },
    llm_judge: a.llm_judge === true,
    query: opt_str(a.query),
    query_id: opt_str(a.query_id),
    span_overlap: one_of(a.span_overlap, SPAN_OVERLAPS, d.span_overlap),
    unit: {
      size: num(unit.size, null),
      overlap: num(unit.overlap, null),
      by: CHUNK_BY.includes(unit.by as ChunkBy) ? (unit.by as ChunkBy) : null,
      thread: opt_str(unit.thread),
      order: opt_str(unit.order),
    },
  };
}

/** JSON with sorted keys: equal answers give equal keys whatever order Python kept. */
export function stable_key(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    is_obj(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

export interface InterviewView {
  /** Python's copy of the answers (null when the trait has none yet). */
  answers: Answers | null;
  errors: Record<string, string>;
  code: string;
  summary: DataSummary | null;
  label_status: { label_column: LabelStatus | null; holdout: LabelStatus | null };
  choices: Choices;
}

function read_status(v: unknown): LabelStatus | null {
  if (!is_obj(v)) return null;
  const counts: Record<string, number> = {};
  if (is_obj(v.counts)) {
    for (const [k, n] of Object.entries(v.counts)) counts[k] = Number(n) || 0;
  }
  const status = one_of(
    v.status,
    ["labeled", "partially labeled", "unlabeled"] as const,
    "unlabeled",
  );
  return {
    status,
    n_labeled: Number(v.n_labeled) || 0,
    n_rows: Number(v.n_rows) || 0,
    counts,
    n_classes: Number(v.n_classes) || Object.keys(counts).length,
  };
}

function read_summary(v: unknown): DataSummary | null {
  if (!is_obj(v)) return null;
  const names = (x: unknown) => (Array.isArray(x) ? x.map(String) : []);
  return {
    n_rows: Number(v.n_rows) || 0,
    columns: (Array.isArray(v.columns) ? v.columns : []).filter(is_obj).map((c) => ({
      name: String(c.name ?? ""),
      dtype: str(c.dtype),
      kind: str(c.kind),
      n_missing: Number(c.n_missing) || 0,
      example: c.example === null || c.example === undefined ? null : String(c.example),
    })),
    text_candidates: names(v.text_candidates),
    numeric_candidates: names(v.numeric_candidates),
    label_candidates: names(v.label_candidates),
  };
}

function read_readiness(v: unknown, fallback: Record<string, "ready" | "coming">) {
  if (!is_obj(v) || !Object.keys(v).length) return fallback;
  const out: Record<string, "ready" | "coming"> = {};
  for (const [k, s] of Object.entries(v)) out[k] = s === "ready" ? "ready" : "coming";
  return out;
}

/** The `interview` trait with safe defaults for anything missing or malformed. */
export function read_interview(raw: unknown): InterviewView {
  const iv = is_obj(raw) ? raw : {};
  const errors: Record<string, string> = {};
  if (is_obj(iv.errors)) {
    for (const [k, e] of Object.entries(iv.errors)) {
      if (e !== null && e !== undefined && e !== "") errors[k] = String(e);
    }
  }
  const ls = is_obj(iv.label_status) ? iv.label_status : {};
  const ch = is_obj(iv.choices) ? iv.choices : {};
  const list = (x: unknown, fallback: string[]) =>
    Array.isArray(x) && x.length ? x.map(String) : fallback;
  return {
    answers: is_obj(iv.answers) ? normalize_answers(iv.answers) : null,
    errors,
    code: str(iv.code),
    summary: read_summary(iv.summary),
    label_status: { label_column: read_status(ls.label_column), holdout: read_status(ls.holdout) },
    choices: {
      tasks: read_readiness(ch.tasks, DEFAULT_CHOICES.tasks),
      units: read_readiness(ch.units, DEFAULT_CHOICES.units),
      metrics: list(ch.metrics, DEFAULT_CHOICES.metrics),
      strategies: list(ch.strategies, DEFAULT_CHOICES.strategies),
    },
  };
}

// ------------------------------------------------------------------ numbers

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** What a number field holds: "" -> null (no value), "12" -> 12, else the text as typed. */
export function parse_number(text: string): NumberAnswer {
  const t = text.trim();
  if (t === "") return null;
  if (NUMBER.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  return t; // Python says what is wrong with it, in its own words
}

/** A number field's text: null -> "". */
export function format_number(value: NumberAnswer): string {
  return value === null ? "" : String(value);
}

// ------------------------------------------------------------------ updates (new objects)

/** The scalar answers one input edits, as a dotted path. */
export type AnswerPath =
  | "source.kind"
  | "source.name"
  | "source.path"
  | "source.query"
  | "source.url"
  | "task"
  | "prediction_unit"
  | "metric"
  | "strategy"
  | "batch_size"
  | "holdout.kind"
  | "holdout.fraction"
  | "holdout.name"
  | "holdout.path"
  | "holdout.label_column"
  | `budget.${keyof Budget}`
  | "llm_judge"
  | "query"
  | "query_id"
  | "span_overlap"
  | `unit.${keyof UnitOptions}`;

/** A copy of the answers deep enough to change them without touching the original. */
export function clone_answers(a: Answers): Answers {
  return {
    ...a,
    source: { ...a.source },
    features: a.features ? [...a.features] : null,
    labels: a.labels.map((l) => ({ ...l })),
    holdout: { ...a.holdout },
    budget: { ...a.budget },
    unit: { ...a.unit },
  };
}

/** One scalar answer. */
export function get_answer(a: Answers, path: AnswerPath): unknown {
  const [head, tail] = path.split(".") as [string, string | undefined];
  const top = (a as unknown as Obj)[head];
  return tail === undefined ? top : (top as Obj)[tail];
}

/** Set one scalar answer (returns new answers). */
export function set_answer(a: Answers, path: AnswerPath, value: unknown): Answers {
  const out = clone_answers(a);
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (tail === undefined) {
    (out as unknown as Obj)[head] = value;
  } else {
    ((out as unknown as Obj)[head] as Obj)[tail] = value;
  }
  return out;
}

/** The text column: choosing one clears the feature columns (one or the other). */
export function set_text(a: Answers, column: string | null): Answers {
  const out = clone_answers(a);
  out.text = column || null;
  if (out.text) out.features = null;
  return out;
}

/** Tick or untick a feature column: any feature clears the text column; none left -> null. */
export function toggle_feature(a: Answers, column: string, on: boolean): Answers {
  const out = clone_answers(a);
  const now = (out.features ?? []).filter((c) => c !== column);
  if (on) now.push(column);
  out.features = now.length ? now : null;
  if (out.features) out.text = null;
  return out;
}

/**
 * The label column. The held-out gold column follows it while it was unset or the same column
 * (the usual case: the labels already in the data are the gold ones).
 */
export function set_label_column(a: Answers, column: string | null): Answers {
  const out = clone_answers(a);
  const before = out.label_column;
  out.label_column = column || null;
  if (out.holdout.label_column === null || out.holdout.label_column === before) {
    out.holdout.label_column = out.label_column;
  }
  return out;
}

// ------------------------------------------------------------------ the label list

export function add_label(a: Answers): Answers {
  const out = clone_answers(a);
  out.labels.push({ name: "", description: "", key: "" });
  return out;
}

export function remove_label(a: Answers, index: number): Answers {
  const out = clone_answers(a);
  if (index >= 0 && index < out.labels.length) out.labels.splice(index, 1);
  return out;
}

/** A hotkey as stored: one character, the last one typed, letters in lower case. */
export function normalize_key(text: string): string {
  const chars = [...text.trim()];
  const last = chars[chars.length - 1] ?? "";
  return last.toLowerCase();
}

export function edit_label(
  a: Answers,
  index: number,
  field: keyof LabelAnswer,
  value: string,
): Answers {
  const out = clone_answers(a);
  const label = out.labels[index];
  if (!label) return out;
  label[field] = field === "key" ? normalize_key(value) : value;
  return out;
}

/**
 * The labels found in the label column (Python's counts, most frequent first). Labels already
 * in the list keep their description and hotkey; the others are dropped.
 */
export function labels_from_counts(a: Answers, counts: Record<string, number>): Answers {
  const out = clone_answers(a);
  const known = new Map(a.labels.map((l) => [l.name.trim(), l]));
  out.labels = Object.keys(counts).map((name) => {
    const old = known.get(name);
    return { name, description: old?.description ?? "", key: old?.key ?? "" };
  });
  return out;
}

const RESERVED_KEYS = new Set(["s", "u", "z", "?"]);

/** The hotkeys Python gives labels without one (jupyter_al._widget.hotkeys): 1-9, then a-z. */
export function default_hotkeys(names: readonly string[]): string[] {
  const own = new Map<string, string>();
  for (const n of names) {
    const k = n.toLowerCase();
    if ([...n].length === 1 && !RESERVED_KEYS.has(k)) own.set(k, n);
  }
  const keys = new Map([...own].map(([k, n]) => [n, k]));
  const free = [..."123456789abcdefghijklmnopqrstuvwxyz"].filter(
    (k) => !RESERVED_KEYS.has(k) && !own.has(k),
  );
  return names.map((n) => keys.get(n) ?? free.shift() ?? "");
}

// ------------------------------------------------------------------ sending

export type Timing = "debounce" | "now";

/** Typing is debounced (text and number fields); a choice (select, radio, box) goes at once. */
export function send_timing(control: { tagName: string; type?: string }): Timing {
  const tag = control.tagName.toUpperCase();
  if (tag === "TEXTAREA") return "debounce";
  if (tag !== "INPUT") return "now";
  const type = (control.type ?? "text").toLowerCase();
  return type === "radio" || type === "checkbox" ? "now" : "debounce";
}

export const DEBOUNCE_MS = 250;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const real_timers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Debouncer {
  /** Run `fn` after `ms` of quiet (a new call restarts the wait). */
  schedule(): void;
  /** Run now if a run is waiting; true when it ran. */
  flush(): boolean;
  /** Drop the waiting run. */
  cancel(): void;
  pending(): boolean;
}

export function create_debouncer(fn: () => void, ms: number, timers = real_timers): Debouncer {
  let handle: unknown = null;
  const cancel = () => {
    if (handle !== null) timers.clear(handle);
    handle = null;
  };
  return {
    schedule() {
      cancel();
      handle = timers.set(() => {
        handle = null;
        fn();
      }, ms);
    },
    flush() {
      if (handle === null) return false;
      cancel();
      fn();
      return true;
    },
    cancel,
    pending: () => handle !== null,
  };
}

/** The keys (stable_key) of the answers this page sent lately, newest last. */
export class SentLog {
  private keys: string[] = [];
  constructor(private readonly size = 50) {}
  add(key: string): void {
    this.keys = this.keys.filter((k) => k !== key);
    this.keys.push(key);
    if (this.keys.length > this.size) this.keys.shift();
  }
  has(key: string): boolean {
    return this.keys.includes(key);
  }
}

/**
 * Whether Python's answers replace the page's: only when they differ, are not the echo of a
 * message this page sent (replies can arrive after newer edits), and no edit waits to be sent.
 */
export function should_adopt(remote: string, local: string, sent: SentLog, waiting: boolean) {
  return remote !== local && !waiting && !sent.has(remote);
}

// ------------------------------------------------------------------ text for the view

/** "partially labeled: 120 of 1,000 rows" */
export function status_text(s: LabelStatus): string {
  const rows = s.n_rows === 1 ? "row" : "rows";
  if (s.status === "labeled") return `labeled: all ${format_count(s.n_rows)} ${rows}`;
  return `${s.status}: ${format_count(s.n_labeled)} of ${format_count(s.n_rows)} ${rows}`;
}

/** "spam 400 · ham 500 (+3 more classes)" */
export function counts_text(s: LabelStatus): string {
  const shown = Object.entries(s.counts);
  const parts = shown.map(([name, n]) => `${name} ${format_count(n)}`);
  const more = s.n_classes - shown.length;
  if (more > 0) parts.push(`(+${more} more ${more === 1 ? "class" : "classes"})`);
  return parts.join(" · ");
}

export function submit_text(n_errors: number): string {
  if (n_errors <= 0) return "Start labeling";
  return `Start labeling (${n_errors} ${n_errors === 1 ? "answer" : "answers"} to fix)`;
}

/**
 * Options of a column select: the likely ones first, then the other columns, then the current
 * value when the data does not have it (so a choice never silently disappears).
 */
export function column_options(
  summary: DataSummary | null,
  likely: readonly string[],
  current: string | null,
): { likely: string[]; others: string[]; missing: string | null } {
  const all = summary ? summary.columns.map((c) => c.name) : [];
  const first = likely.filter((c) => all.includes(c));
  const others = all.filter((c) => !first.includes(c));
  const missing = current !== null && current !== "" && !all.includes(current) ? current : null;
  return { likely: first, others, missing };
}

/** The feature column boxes: numeric columns, plus chosen ones the data does not list. */
export function feature_options(summary: DataSummary | null, chosen: readonly string[] | null) {
  const numeric = summary ? [...summary.numeric_candidates] : [];
  for (const c of chosen ?? []) if (!numeric.includes(c)) numeric.push(c);
  return numeric;
}

/** A list of choices with `current` in it (a select must be able to show its value). */
export function with_current(options: readonly string[], current: string): string[] {
  return options.includes(current) ? [...options] : [...options, current];
}

/** The controls only some tasks and units ask for, and whether these answers ask for them. */
export function shown_options(a: Pick<Answers, "task" | "prediction_unit">): {
  /** Ranking: the query and query-id columns. */
  query: boolean;
  /** Extraction: how spans may overlap. */
  span_overlap: boolean;
  /** Chunk units: size, overlap and what they count. */
  chunk: boolean;
  /** Message units: the thread and order columns. */
  message: boolean;
} {
  return {
    query: a.task === "ranking",
    span_overlap: a.task === "extraction",
    chunk: a.prediction_unit === "chunk",
    message: a.prediction_unit === "message",
  };
}

/** What the label list holds for a task (a hint above it) and its add button's text. */
export function schema_text(task: string): { hint: string; add: string } {
  switch (task) {
    case "classification":
      return { hint: "The classes: each item gets one.", add: "add a label" };
    case "multilabel":
      return { hint: "The labels: an item may get several.", add: "add a label" };
    case "extraction":
      return {
        hint: "The span types (e.g. date, person) you mark in the text.",
        add: "add a span type",
      };
    case "ranking":
      return { hint: "The grades, lowest first (e.g. bad, fair, good).", add: "add a grade" };
    case "other":
      return {
        hint: "Regression: a number per item: no labels (leave the list empty).",
        add: "add a label",
      };
    default:
      return { hint: "", add: "add a label" };
  }
}

/** Errors whose field has no place in the form (shown in one list above the submit button). */
export function other_errors(errors: Record<string, string>): [string, string][] {
  const known = new Set<string>(ERROR_FIELDS);
  return Object.entries(errors).filter(([field]) => !known.has(field));
}
