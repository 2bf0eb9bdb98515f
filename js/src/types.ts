/**
 * The widget protocol as types (docs/widget-protocol.md): traits come from Python, messages go
 * to Python. Names are snake_case on both sides.
 */

export type Task = "classification" | "multilabel" | "extraction" | "ranking" | "regression";
/** Extraction: how two spans of one text may overlap. */
export type SpanOverlap = "forbid" | "nested" | "allow";

/** A span of an item's text; offsets are Unicode code points (Python string indices). */
export interface Span {
  start: number;
  end: number;
  type: string;
}

/**
 * A label: a class name (classification; ranking: the grade's name), class names
 * (multilabel), a number (regression) or spans (extraction; [] = no span).
 */
export type Label = string | string[] | number | Span[];
export type ItemStatus = "pending" | "labeled" | "skipped";

/** A label, a span type (extraction) or a grade (ranking, lowest first, with its `value`). */
export interface ClassSpec {
  name: string;
  key: string;
  description: string;
  value?: number;
}

/** Where a prediction unit (sentence, chunk, message) comes from, with its neighbours. */
export interface UnitContext {
  kind: "sentence" | "chunk" | "message" | "document";
  parent_id: string;
  /** 0-based position of the unit in its parent. */
  position: number;
  n_units: number;
  /** The unit's offsets in its parent's text. */
  start?: number;
  end?: number;
  /** Neighbouring units (shown dimmed, as text). */
  before: string[];
  after: string[];
}

export interface GreyImage {
  width: number;
  height: number;
  pixels: number[];
}

export interface Item {
  id: string;
  kind: "text" | "table" | "image";
  text?: string;
  fields?: [string, string][];
  image?: GreyImage;
  /** The model's prediction; extraction: proposed spans; regression: a number. */
  prediction: Label | null;
  /** Regression: the prediction's central interval [lo, hi]. */
  interval?: [number, number] | null;
  /** Ranking: the pair's query (shown as text above the document, which is `text`). */
  query?: string | null;
  /** Prediction units only: the unit's parent and neighbours. */
  context?: UnitContext | null;
  confidence: number | null;
  uncertainty: number | null;
  strategy: string;
  reason: string;
  rank: number;
  round: number;
  status: ItemStatus;
  label: Label | null;
  /** The LLM judge's answer about this item (a suggestion for the reviewer, never a label). */
  judge?: JudgeNote | null;
}

/** The LLM judge's note on an item (Session.judge_note); anything may be missing. */
export interface JudgeNote {
  label?: Label | null;
  rationale?: string | null;
  confidence?: number | null;
  /** What the judge was asked for: "prioritization", "adjudication", ... */
  use?: string;
  model?: string;
}

/** Judge-assisted points: the model scored against an LLM judge's labels, never human gold. */
export interface JudgeSeries {
  x?: number[];
  y?: number[];
  rounds?: number[];
}

export interface Progress {
  round?: number;
  n_labeled?: number;
  batch_done?: number;
  batch_size?: number;
  budget?: string;
}

export interface Curve {
  metric?: string;
  x?: number[];
  y?: number[];
  rounds?: number[];
  stop?: string | null;
  /** Rounds closed so far, evaluated or not. */
  closed?: number;
  /** The same metric against an LLM judge's labels (results.tsv `judge:<metric>`). */
  judge?: JudgeSeries | null;
}

/** The synced traits of LabelingWidget (jupyter_al/_widget.py). */
export interface Traits {
  task: Task;
  classes: ClassSpec[];
  /** Extraction: how spans may overlap ("forbid" when missing). */
  span_overlap: SpanOverlap;
  items: Item[];
  position: number;
  status: "ready" | "training" | "stopped" | "error";
  message: string;
  progress: Progress;
  curve: Curve;
  /** The failure-mode guards of the last closed round (js/src/guards.ts). */
  guards?: unknown[];
  class_counts: Record<string, number>;
  hide_prediction: boolean;
  auto_submit: boolean;
  error: string;
  ack_t: number;
  /** "interview" shows the form (the session is not configured yet); anything else labels. */
  mode: string;
  interview: InterviewTrait;
  [key: string]: unknown;
}

// ------------------------------------------------------------------ the interview
// The answers' shape is the module docstring of jupyter_al/_interview.py.

export type SourceKind = "dataframe" | "file" | "sql";
export type HoldoutKind = "fraction" | "dataframe" | "file" | "none";
/** A number field: null = empty (no limit / missing); a string = what was typed, unparsed. */
export type NumberAnswer = number | null | string;

export interface LabelAnswer {
  name: string;
  description: string;
  key: string;
}

export interface Budget {
  max_labels: NumberAnswer;
  max_rounds: NumberAnswer;
  max_minutes: NumberAnswer;
  max_cost: NumberAnswer;
  cost_per_label: NumberAnswer;
}

/** How chunks are measured (null = Python's default, tokens). */
export type ChunkBy = "tokens" | "chars";

/** A prediction unit's options: chunk size/overlap/by; message thread/order columns. */
export interface UnitOptions {
  size: NumberAnswer;
  overlap: NumberAnswer;
  by: ChunkBy | null;
  thread: string | null;
  order: string | null;
}

export interface Answers {
  source: { kind: SourceKind; name: string; path: string; query: string; url: string };
  task: string;
  prediction_unit: string;
  text: string | null;
  features: string[] | null;
  label_column: string | null;
  labels: LabelAnswer[];
  metric: string;
  strategy: string;
  batch_size: NumberAnswer;
  holdout: {
    kind: HoldoutKind;
    fraction: NumberAnswer;
    name: string;
    path: string;
    label_column: string | null;
  };
  budget: Budget;
  llm_judge: boolean;
  /** Ranking: the query column (text is the document) and an optional query-id column. */
  query: string | null;
  query_id: string | null;
  /** Extraction: how spans may overlap. */
  span_overlap: SpanOverlap;
  /** Options of the chunk and message units (the others ignore them). */
  unit: UnitOptions;
}

export interface ColumnSummary {
  name: string;
  dtype: string;
  kind: string;
  n_missing: number;
  example: string | null;
}

export interface DataSummary {
  n_rows: number;
  columns: ColumnSummary[];
  text_candidates: string[];
  numeric_candidates: string[];
  label_candidates: string[];
}

export interface LabelStatus {
  status: "labeled" | "partially labeled" | "unlabeled";
  n_labeled: number;
  n_rows: number;
  counts: Record<string, number>;
  n_classes: number;
}

export interface Choices {
  tasks: Record<string, "ready" | "coming">;
  units: Record<string, "ready" | "coming">;
  metrics: string[];
  strategies: string[];
}

/** The `interview` trait as Python sends it (anything may be missing or malformed). */
export interface InterviewTrait {
  answers?: Partial<Answers> | Record<string, unknown>;
  errors?: Record<string, string>;
  code?: string;
  summary?: DataSummary | null;
  label_status?: { label_column?: LabelStatus; holdout?: LabelStatus };
  choices?: Partial<Choices>;
}

export type Source = "click" | "key";

export type Message =
  | { kind: "label"; item_id: string; label: Label; source: Source; t: number }
  | { kind: "skip"; item_id: string; unsure: boolean; t: number }
  | { kind: "undo"; t: number }
  | { kind: "submit"; t: number }
  | { kind: "settings"; hide_prediction?: boolean; auto_submit?: boolean }
  | { kind: "interview_change"; answers: Answers; t: number }
  | { kind: "interview_submit"; answers: Answers; t: number };
