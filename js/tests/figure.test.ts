import { describe, expect, it } from "vitest";
import {
  curve_figure,
  curve_points,
  DEFAULT_THEME,
  plain_color,
  plot_text,
  theme_from,
  with_alpha,
} from "../src/figure";

describe("curve_figure", () => {
  it("plots the metric against labels, one point per round, and the class counts", () => {
    const fig = curve_figure(
      { metric: "f1_macro", x: [10, 20, 30], y: [0.5, 0.6, 0.65], rounds: [1, 2, 3], stop: null },
      { ham: 4, spam: 6 },
    );
    const [line, bars] = fig.data;

    expect(fig.data).toHaveLength(2);
    expect(line.x).toEqual([10, 20, 30]);
    expect(line.y).toEqual([0.5, 0.6, 0.65]);
    expect(line.customdata).toEqual([1, 2, 3]);
    expect(bars.type).toBe("bar");
    expect(bars.x).toEqual(["ham", "spam"]);
    expect(bars.y).toEqual([4, 6]);
    expect(bars.xaxis).toBe("x2");
    expect((fig.layout.xaxis2 as { ticktext: string[] }).ticktext).toEqual(["ham", "spam"]);
    expect(fig.config.displayModeBar).toBe(false);
  });

  it("marks and notes where the loop stopped", () => {
    const fig = curve_figure(
      { metric: "acc", x: [10, 20], y: [0.7, 0.8], rounds: [1, 2], stop: "plateau" },
      {},
    );
    const stop = fig.data[1];
    const notes = fig.layout.annotations as { text: string; x: number }[];

    expect(stop.x).toEqual([20]);
    expect(stop.y).toEqual([0.8]);
    expect(notes.some((a) => a.text === "stopped: plateau" && a.x === 20)).toBe(true);
  });

  it("says when there is no point yet", () => {
    const fig = curve_figure({ metric: "acc", x: [], y: [], rounds: [], stop: null }, {});
    const notes = fig.layout.annotations as { text: string }[];

    expect(notes[0].text).toContain("first round");
  });

  it("escapes text plotly would read as markup", () => {
    const fig = curve_figure(
      { metric: "<img src=x>", x: [1], y: [1], stop: "<script>" },
      { "<b>c</b>": 1 },
    );
    const texts = JSON.stringify(fig);

    expect(texts).not.toContain("<img");
    expect(texts).not.toContain("<script");
    expect(texts).not.toContain("<b>c");
    expect(plot_text("a<b>&")).toBe("a&lt;b&gt;&amp;");
  });

  it("keeps long class names apart and shortens only their ticks", () => {
    const fig = curve_figure({}, { "a very long class name 1": 1, "a very long class name 2": 2 });
    const axis = fig.layout.xaxis2 as { tickvals: string[]; ticktext: string[] };

    expect(new Set(fig.data[1].x as string[]).size).toBe(2);
    expect(axis.tickvals).toEqual(fig.data[1].x);
    expect(axis.ticktext[0]).toBe("a very long c…");
  });

  it("drops malformed points", () => {
    expect(curve_points({ x: [1, 2, 3], y: [0.1, Number.NaN] })).toEqual({
      x: [1],
      y: [0.1],
      rounds: [null],
    });
    expect(curve_points(null)).toEqual({ x: [], y: [], rounds: [] });
  });
});

describe("curve_figure with an LLM judge", () => {
  const base = { metric: "f1_macro", x: [10, 20], y: [0.6, 0.7], rounds: [1, 2], stop: null };

  it("draws judge-assisted points as their own dashed, muted series", () => {
    const fig = curve_figure(
      { ...base, judge: { x: [10, 20], y: [0.5, 0.55], rounds: [1, 2] } },
      { ham: 1 },
    );
    const [human, judge] = fig.data;

    expect(human.name).toBe("f1_macro (human gold)");
    expect(human.y).toEqual([0.6, 0.7]);
    expect(judge.name).toBe("f1_macro (LLM judge, not gold)");
    expect(judge.x).toEqual([10, 20]);
    expect(judge.y).toEqual([0.5, 0.55]);
    expect(judge.customdata).toEqual([1, 2]);
    expect(judge.hovertemplate).toContain("judge-assisted");
    expect(judge.hovertemplate).not.toBe(human.hovertemplate);
    expect((judge.line as { dash: string; color: string }).dash).toBe("dash");
    expect((judge.line as { color: string }).color).toBe(DEFAULT_THEME.judge);
    expect(DEFAULT_THEME.judge).not.toBe(DEFAULT_THEME.accent);
    expect(fig.layout.showlegend).toBe(true);
    expect(fig.data.filter((d) => d.showlegend !== false).map((d) => d.name)).toEqual([
      "f1_macro (human gold)",
      "f1_macro (LLM judge, not gold)",
    ]);
  });

  it("stays valid without a judge series, or with a malformed one", () => {
    for (const judge of [
      undefined,
      null,
      {},
      { x: [], y: [], rounds: [] },
      { x: [10], y: [Number.NaN] },
      { x: "10", y: 0.5 },
      "nonsense",
      [1, 2],
      42,
    ]) {
      const fig = curve_figure({ ...base, judge: judge as never }, {});

      expect(fig.data).toHaveLength(2); // the human-gold line and the bars only
      expect(fig.data[0].name).toBe("f1_macro (human gold)");
      expect(fig.layout.showlegend).toBe(false);
      expect(() => JSON.stringify(fig)).not.toThrow();
    }
  });

  it("keeps the stop marker on the human-gold line", () => {
    const fig = curve_figure(
      { ...base, stop: "plateau", judge: { x: [10, 20], y: [0.1, 0.2], rounds: [1, 2] } },
      {},
    );
    const stop = fig.data.find((d) => d.name === "stop");

    expect(stop?.y).toEqual([0.7]);
  });

  it("says a judge-only curve has no human-gold point yet", () => {
    const fig = curve_figure(
      { metric: "acc", x: [], y: [], closed: 1, judge: { x: [10], y: [0.4], rounds: [1] } },
      {},
    );
    const texts = (fig.layout.annotations as { text: string }[]).map((a) => a.text);

    expect(texts.some((t) => t.startsWith("no human-gold point yet"))).toBe(true);
  });

  it("escapes the metric in the judge series' name and hover text", () => {
    const fig = curve_figure(
      { metric: "<b>m</b>", x: [1], y: [1], judge: { x: [1], y: [0.5], rounds: [1] } },
      {},
    );

    expect(JSON.stringify(fig.data[1])).not.toContain("<b>m");
  });

  it("takes the judge color from the theme when plotly can read it", () => {
    expect(theme_from({ judge: "#123456" }).judge).toBe("#123456");
    expect(theme_from({ judge: "var(--x)" }).judge).toBe(DEFAULT_THEME.judge);
    expect(theme_from({}).judge).toBe(DEFAULT_THEME.judge);
  });
});

describe("theme", () => {
  it("keeps only colors plotly can read", () => {
    expect(plain_color("rgb(1, 2, 3)", "#000")).toBe("rgb(1, 2, 3)");
    expect(plain_color("#abc", "#000")).toBe("#abc");
    expect(plain_color("color-mix(in srgb, currentColor 20%, transparent)", "#000")).toBe("#000");
    expect(plain_color("currentColor", "#000")).toBe("#000");
    expect(plain_color("", "#000")).toBe("#000");
  });

  it("derives grid lines from the text color", () => {
    expect(with_alpha("rgb(10, 20, 30)", 0.2)).toBe("rgba(10,20,30,0.2)");
    expect(with_alpha("#fff", 0.5)).toBe("rgba(255,255,255,0.5)");
    expect(with_alpha("red", 0.5)).toBeNull();
    const t = theme_from({ color: "rgb(200, 200, 200)", accent: " #ff0000", font_family: "" });

    expect(t.grid).toBe("rgba(200,200,200,0.2)");
    expect(t.accent).toBe("#ff0000");
    expect(t.stop).toBe(DEFAULT_THEME.stop);
    expect(t.font_family).toBe(DEFAULT_THEME.font_family);
  });
});

describe("curve_figure after rounds that could not be evaluated", () => {
  it("says why there is no point instead of promising one", () => {
    const fig = curve_figure({ metric: "f1_macro", x: [], y: [], rounds: [], closed: 2 }, {});
    const texts = (fig.layout.annotations as { text: string }[]).map((a) => a.text);

    expect(texts.some((t) => t.startsWith("no point yet"))).toBe(true);
  });
});
