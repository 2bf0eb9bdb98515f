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
