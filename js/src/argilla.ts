/**
 * The Argilla panel of the labeling view (team review, issue #4): "send batch to Argilla",
 * "pull responses", progress per annotator and a link to the dataset. It reads the `argilla`
 * trait and sends `argilla_send` / `argilla_pull` / `argilla_progress` messages; Python does
 * the work (jupyter_al/_widget.py). Pure helpers are exported for the unit tests.
 */
import type { AnyModel } from "@anywidget/types";

export interface UserProgress {
  completed?: Record<string, number>;
  pending?: Record<string, number>;
}

export interface ArgillaTrait {
  enabled?: boolean;
  busy?: boolean;
  dataset?: string;
  link?: string;
  message?: string;
  pending_send?: number;
  pending_pull?: boolean;
  flagged?: number;
  refused?: number;
  progress?: {
    total?: number;
    completed?: number;
    pending?: number;
    users?: Record<string, UserProgress>;
  } | null;
}

const sum = (r: Record<string, number> | undefined): number =>
  Object.values(r ?? {}).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

/** One line per annotator: "ann: 7 done, 1 to do", sorted by name. */
export function annotator_lines(trait: ArgillaTrait): string[] {
  const users = trait.progress?.users ?? {};
  return Object.keys(users)
    .sort()
    .map((name) => {
      const u = users[name] ?? {};
      const done = sum(u.completed) + (u.pending?.submitted ?? 0) + (u.pending?.discarded ?? 0);
      const todo = u.pending?.draft ?? 0;
      return `${name}: ${done} answered${todo ? `, ${todo} draft` : ""}`;
    });
}

/** The summary line: records completed / pending, and what waits on our side. */
export function summary_line(trait: ArgillaTrait): string {
  const parts: string[] = [];
  const p = trait.progress;
  if (p && typeof p.total === "number") {
    parts.push(`${p.completed ?? 0} of ${p.total} records completed, ${p.pending ?? 0} pending`);
  }
  if (trait.pending_send) parts.push(`${trait.pending_send} not sent yet (retried on next send)`);
  if (trait.pending_pull) parts.push("last pull failed (retried on next pull)");
  if (trait.flagged) parts.push(`${trait.flagged} to adjudicate`);
  if (trait.refused) parts.push(`${trait.refused} refused answers to review`);
  return parts.join(" · ");
}

/** Only http(s) links are shown (the trait comes from Python, but never trust an href). */
export function safe_link(link: string | undefined): string | null {
  return link && /^https?:\/\//.test(link) ? link : null;
}

type Model = AnyModel<Record<string, unknown>>;

export function mount_argilla(model: Model, parent: HTMLElement): () => void {
  const box = document.createElement("div");
  box.className = "jal-argilla";
  box.dataset.testid = "jal-argilla";
  const send_btn = document.createElement("button");
  send_btn.textContent = "send batch to Argilla";
  send_btn.dataset.testid = "jal-argilla-send";
  const pull_btn = document.createElement("button");
  pull_btn.textContent = "pull responses";
  pull_btn.dataset.testid = "jal-argilla-pull";
  const refresh_btn = document.createElement("button");
  refresh_btn.textContent = "progress";
  refresh_btn.dataset.testid = "jal-argilla-progress";
  const link = document.createElement("a");
  link.dataset.testid = "jal-argilla-link";
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  const summary = document.createElement("div");
  summary.dataset.testid = "jal-argilla-summary";
  const users = document.createElement("ul");
  users.dataset.testid = "jal-argilla-users";
  const message = document.createElement("div");
  message.dataset.testid = "jal-argilla-message";
  box.append(send_btn, pull_btn, refresh_btn, link, summary, users, message);
  parent.append(box);

  const on_send = () => model.send({ kind: "argilla_send", t: performance.now() });
  const on_pull = () => model.send({ kind: "argilla_pull", t: performance.now() });
  const on_refresh = () => model.send({ kind: "argilla_progress", t: performance.now() });
  send_btn.addEventListener("click", on_send);
  pull_btn.addEventListener("click", on_pull);
  refresh_btn.addEventListener("click", on_refresh);

  function update(): void {
    const trait = (model.get("argilla") ?? {}) as ArgillaTrait;
    box.hidden = !trait.enabled;
    for (const b of [send_btn, pull_btn, refresh_btn]) b.disabled = Boolean(trait.busy);
    const href = safe_link(trait.link);
    link.hidden = href === null;
    if (href !== null) {
      link.href = href;
      link.textContent = `open ${trait.dataset ?? "dataset"} in Argilla`;
    }
    summary.textContent = summary_line(trait);
    users.replaceChildren(
      ...annotator_lines(trait).map((line) => {
        const li = document.createElement("li");
        li.textContent = line;
        return li;
      }),
    );
    message.textContent = trait.message ?? "";
  }
  model.on("change:argilla", update);
  update();
  return () => {
    model.off("change:argilla", update);
    send_btn.removeEventListener("click", on_send);
    pull_btn.removeEventListener("click", on_pull);
    refresh_btn.removeEventListener("click", on_refresh);
    box.remove();
  };
}
