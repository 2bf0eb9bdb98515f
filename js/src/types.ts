/**
 * The widget protocol as types (docs/widget-protocol.md): traits come from Python, messages go
 * to Python. Names are snake_case on both sides.
 */

export type Task = "classification" | "multilabel";
export type Label = string | string[];
export type ItemStatus = "pending" | "labeled" | "skipped";

export interface ClassSpec {
  name: string;
  key: string;
  description: string;
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
  prediction: Label | null;
  confidence: number | null;
  uncertainty: number | null;
  strategy: string;
  reason: string;
  rank: number;
  round: number;
  status: ItemStatus;
  label: Label | null;
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
}

/** The synced traits of LabelingWidget (jupyter_al/_widget.py). */
export interface Traits {
  task: Task;
  classes: ClassSpec[];
  items: Item[];
  position: number;
  status: "ready" | "training" | "stopped" | "error";
  message: string;
  progress: Progress;
  curve: Curve;
  class_counts: Record<string, number>;
  hide_prediction: boolean;
  auto_submit: boolean;
  error: string;
  ack_t: number;
  [key: string]: unknown;
}

export type Source = "click" | "key";

export type Message =
  | { kind: "label"; item_id: string; label: Label; source: Source; t: number }
  | { kind: "skip"; item_id: string; unsure: boolean; t: number }
  | { kind: "undo"; t: number }
  | { kind: "submit"; t: number }
  | { kind: "settings"; hide_prediction?: boolean; auto_submit?: boolean };
