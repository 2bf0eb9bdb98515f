/**
 * The "checks" panel of the labeling view: the failure-mode guards read when the last round
 * closed (duplicates, near-identical picks, outliers, class imbalance, schema confusion, skip
 * rate, evaluation leakage, suspicious labels). It reads the `guards` trait that
 * jupyter_al/_widget.py fills from the last `RoundClosed`; it sends nothing. Text only, never
 * HTML. Pure helpers are exported for the unit tests.
 */
import type { AnyModel } from "@anywidget/types";

export interface GuardReading {
  name: string;
  value: number | null;
  threshold: number;
  tripped: boolean;
  message: string;
  round?: number;
}

/** Guards from the trait, tripped ones first (then by name); malformed entries dropped. */
export function ordered(raw: unknown): GuardReading[] {
  if (!Array.isArray(raw)) return [];
  const ok = raw.filter(
    (g): g is GuardReading =>
      !!g && typeof g === "object" && typeof (g as GuardReading).name === "string",
  );
  return [...ok].sort(
    (a, b) => Number(!!b.tripped) - Number(!!a.tripped) || a.name.localeCompare(b.name),
  );
}

/** The summary line, e.g. "checks after round 3: 2 of 8 tripped". */
export function summary_text(guards: GuardReading[]): string {
  if (guards.length === 0) return "";
  const tripped = guards.filter((g) => g.tripped).length;
  const round = guards.find((g) => typeof g.round === "number")?.round;
  const when = round !== undefined ? ` after round ${round}` : "";
  return tripped
    ? `checks${when}: ${tripped} of ${guards.length} tripped`
    : `checks${when}: all ${guards.length} passed`;
}

/** One guard as a line: its name, value against its threshold, and its sentence. */
export function guard_line(g: GuardReading): string {
  const value =
    typeof g.value === "number" && Number.isFinite(g.value) ? g.value.toPrecision(3) : "n/a";
  const limit = Number.isFinite(g.threshold) ? Number(g.threshold).toPrecision(2) : "?";
  return `${g.tripped ? "⚠ " : ""}${g.name.replace(/_/g, " ")} ${value} (limit ${limit}): ${g.message}`;
}

type Model = AnyModel<Record<string, unknown>>;

/** Add the panel under `parent`; returns the function that removes it. */
export function mount_guards(model: Model, parent: HTMLElement): () => void {
  const box = document.createElement("details");
  box.className = "jal-guards";
  box.dataset.testid = "jal-guards";
  const summary = document.createElement("summary");
  summary.dataset.testid = "jal-guards-summary";
  const list = document.createElement("ul");
  list.dataset.testid = "jal-guards-list";
  box.append(summary, list);
  parent.append(box);

  const render = () => {
    const guards = ordered(model.get("guards"));
    box.hidden = guards.length === 0;
    summary.textContent = summary_text(guards);
    box.classList.toggle(
      "jal-guards-tripped",
      guards.some((g) => g.tripped),
    );
    list.textContent = "";
    for (const g of guards) {
      const li = document.createElement("li");
      li.dataset.testid = "jal-guard";
      li.dataset.name = g.name;
      if (g.tripped) li.className = "jal-guard-tripped";
      li.dir = "auto";
      li.textContent = guard_line(g);
      list.append(li);
    }
  };
  render();
  model.on("change:guards", render);
  return () => {
    model.off("change:guards", render);
    box.remove();
  };
}
