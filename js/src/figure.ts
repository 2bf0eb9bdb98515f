/**
 * The learning-curve figure as plain data (no plotly import here, so it is unit-tested and the
 * heavy library stays in plot.ts): the human-gold metric against the number of labels, one
 * point per round, a marker and a note where the loop stopped, and a small bar chart of the
 * labeled classes beside it. When an LLM judge labeled held-out items, the same metric against
 * the judge's labels is its own dashed, muted series, never mixed with human gold.
 */
import type { Curve, JudgeSeries } from "./types";

export interface Theme {
  color: string;
  grid: string;
  accent: string;
  stop: string;
  /** The judge-assisted series (muted, distinct from the human-gold accent). */
  judge: string;
  font_family: string;
}

export const DEFAULT_THEME: Theme = {
  color: "#444",
  grid: "rgba(128,128,128,0.25)",
  accent: "#1976d2",
  stop: "#d32f2f",
  judge: "#8e7cc3",
  font_family: "sans-serif",
};

const PLAIN_COLOR = /^(#[0-9a-f]{3,8}|rgba?\([^()]*\)|hsla?\([^()]*\)|[a-z]+)$/i;

/** `value` when plotly can read it as a color (no var(), color-mix(), currentColor), else `fallback`. */
export function plain_color(value: string | null | undefined, fallback: string): string {
  const v = (value ?? "").trim();
  return v && PLAIN_COLOR.test(v) && v.toLowerCase() !== "currentcolor" ? v : fallback;
}

/** The same color with `alpha` (for grid lines drawn from the text color). */
export function with_alpha(color: string, alpha: number): string | null {
  const m = color.match(/^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i);
  if (m) return `rgba(${m[1]},${m[2]},${m[3]},${alpha})`;
  const h = color.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
  if (!h) return null;
  const hex = h[1].length === 3 ? [...h[1]].map((c) => c + c).join("") : h[1];
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** A plotly theme from the widget's computed CSS (text, accent, error and judge colors, font). */
export function theme_from(css: {
  color?: string;
  accent?: string;
  stop?: string;
  judge?: string;
  font_family?: string;
}): Theme {
  const color = plain_color(css.color, DEFAULT_THEME.color);
  return {
    color,
    grid: with_alpha(color, 0.2) ?? DEFAULT_THEME.grid,
    accent: plain_color(css.accent, DEFAULT_THEME.accent),
    stop: plain_color(css.stop, DEFAULT_THEME.stop),
    judge: plain_color(css.judge, DEFAULT_THEME.judge),
    font_family: css.font_family?.trim() || DEFAULT_THEME.font_family,
  };
}

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** Plotly reads a few HTML-like tags in text: escape data so it is always shown as text. */
export function plot_text(s: unknown): string {
  return String(s ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function short(s: string, n = 14): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The curve's points (or the judge series'), with unpaired or non-finite values dropped. */
export function curve_points(curve: JudgeSeries | null | undefined): {
  x: number[];
  y: number[];
  rounds: (number | null)[];
} {
  const xs = Array.isArray(curve?.x) ? curve.x : [];
  const ys = Array.isArray(curve?.y) ? curve.y : [];
  const rs = Array.isArray(curve?.rounds) ? curve.rounds : [];
  const out = { x: [] as number[], y: [] as number[], rounds: [] as (number | null)[] };
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    out.x.push(xs[i]);
    out.y.push(ys[i]);
    out.rounds.push(Number.isFinite(rs[i]) ? rs[i] : null);
  }
  return out;
}

export function curve_figure(
  curve: Curve | null | undefined,
  class_counts: Record<string, number> | null | undefined,
  theme: Theme = DEFAULT_THEME,
): Figure {
  const metric = plot_text(curve?.metric || "metric");
  const pts = curve_points(curve);
  // anything not an object (a string, a list) is no series
  const raw_judge = curve?.judge;
  const judge = curve_points(
    raw_judge && typeof raw_judge === "object" && !Array.isArray(raw_judge) ? raw_judge : null,
  );
  const has_judge = judge.x.length > 0;
  const counts = Object.entries(class_counts ?? {}).filter(([, v]) => Number.isFinite(v));
  const data: Record<string, unknown>[] = [
    {
      type: "scatter",
      mode: "lines+markers",
      name: `${metric} (human gold)`,
      x: pts.x,
      y: pts.y,
      customdata: pts.rounds,
      hovertemplate: `round %{customdata}<br>%{x} labels<br>${metric} %{y:.3f} (human gold)<extra></extra>`,
      line: { color: theme.accent, width: 2 },
      marker: { color: theme.accent, size: 6 },
      xaxis: "x",
      yaxis: "y",
    },
  ];
  if (has_judge) {
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: `${metric} (LLM judge, not gold)`,
      x: judge.x,
      y: judge.y,
      customdata: judge.rounds,
      hovertemplate:
        `round %{customdata}<br>%{x} labels<br>${metric} %{y:.3f}<br>` +
        "judge-assisted: against an LLM judge's labels, not human gold<extra></extra>",
      line: { color: theme.judge, width: 1.5, dash: "dash" },
      marker: { color: theme.judge, size: 5, symbol: "circle-open" },
      xaxis: "x",
      yaxis: "y",
    });
  }
  const annotations: Record<string, unknown>[] = [];
  const stop = curve?.stop;
  const last = pts.x.length - 1;
  if (stop && last >= 0) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: "stop",
      showlegend: false,
      x: [pts.x[last]],
      y: [pts.y[last]],
      hovertemplate: `stopped: ${plot_text(stop)}<extra></extra>`,
      marker: { color: theme.stop, size: 13, symbol: "x" },
      xaxis: "x",
      yaxis: "y",
    });
    annotations.push({
      x: pts.x[last],
      y: pts.y[last],
      xref: "x",
      yref: "y",
      text: `stopped: ${plot_text(short(String(stop), 40))}`,
      showarrow: true,
      arrowcolor: theme.stop,
      ax: -40,
      ay: -28,
      font: { color: theme.stop, size: 11 },
    });
  }
  if (last < 0) {
    annotations.push({
      x: 0.33,
      y: 0.5,
      xref: "paper",
      yref: "paper",
      text: has_judge
        ? "no human-gold point yet (the dashed line is the LLM judge, not gold)"
        : (curve?.closed ?? 0) > 0
          ? "no point yet: nothing could be evaluated (two labeled classes and held-out gold labels are needed)"
          : "the curve starts when the first round closes",
      showarrow: false,
      font: { size: 11, color: theme.color },
    });
  }
  data.push({
    type: "bar",
    name: "labeled",
    showlegend: false,
    // full names as categories (two long names must not merge); short ones as tick text
    x: counts.map(([k]) => plot_text(k)),
    y: counts.map(([, v]) => v),
    hovertext: counts.map(([k, v]) => `${plot_text(k)}: ${v}`),
    hoverinfo: "text",
    marker: { color: theme.accent, opacity: 0.7 },
    xaxis: "x2",
    yaxis: "y2",
  });
  const axis = {
    gridcolor: theme.grid,
    zerolinecolor: theme.grid,
    linecolor: theme.grid,
    tickfont: { size: 10 },
    automargin: true,
  };
  const layout: Record<string, unknown> = {
    height: has_judge ? 244 : 220,
    margin: { l: 48, r: 12, t: 28, b: has_judge ? 60 : 36 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: theme.color, family: theme.font_family, size: 11 },
    // a legend only when there are two series to tell apart (human gold, LLM judge)
    showlegend: has_judge,
    legend: {
      orientation: "h",
      x: 0,
      xanchor: "left",
      y: -0.3,
      yanchor: "top",
      font: { size: 10 },
      bgcolor: "rgba(0,0,0,0)",
    },
    hovermode: "closest",
    xaxis: { ...axis, domain: [0, 0.64], title: { text: "labels", font: { size: 11 } } },
    yaxis: { ...axis, title: { text: metric, font: { size: 11 } } },
    xaxis2: {
      ...axis,
      domain: [0.76, 1],
      anchor: "y2",
      type: "category",
      tickvals: counts.map(([k]) => plot_text(k)),
      ticktext: counts.map(([k]) => plot_text(short(k))),
    },
    yaxis2: { ...axis, anchor: "x2", rangemode: "tozero" },
    annotations: [
      ...annotations,
      {
        x: 0,
        y: 1.1,
        xref: "paper",
        yref: "paper",
        xanchor: "left",
        text: `<b>${metric}</b> on held-out gold labels`,
        showarrow: false,
        font: { size: 11 },
      },
      {
        x: 0.76,
        y: 1.1,
        xref: "paper",
        yref: "paper",
        xanchor: "left",
        text: "<b>labels per class</b>",
        showarrow: false,
        font: { size: 11 },
      },
    ],
  };
  return { data, layout, config: { displayModeBar: false, responsive: true } };
}
