import { describe, expect, it } from "vitest";
import {
  collapse_text,
  format_answer,
  format_confidence,
  format_count,
  format_label,
  format_number,
  format_regression,
  format_uncertainty,
  grade_name,
  judge_line,
  more_text,
  parse_number,
  progress_text,
} from "../src/format";
import type { ClassSpec } from "../src/types";

describe("numbers", () => {
  it("shows confidence as a whole percent", () => {
    expect(format_confidence(0.734)).toBe("73%");
    expect(format_confidence(1)).toBe("100%");
    expect(format_confidence(0)).toBe("0%");
    expect(format_confidence(null)).toBe("—");
    expect(format_confidence(Number.NaN)).toBe("—");
  });

  it("shows uncertainty with two decimals", () => {
    expect(format_uncertainty(0.4129)).toBe("0.41");
    expect(format_uncertainty(0.005)).toBe("0.01");
    expect(format_uncertainty(1)).toBe("1.00");
    expect(format_uncertainty(undefined)).toBe("—");
  });

  it("formats labels and counts", () => {
    expect(format_label("spam")).toBe("spam");
    expect(format_label(["a", "b"])).toBe("a, b");
    expect(format_label([])).toBe("(none)");
    expect(format_label(null)).toBe("—");
    expect(format_count(12345)).toBe("12,345");
  });
});

describe("progress_text", () => {
  it("joins labeled count, item position and budget", () => {
    expect(
      progress_text({ n_labeled: 12, item_index: 2, n_items: 10, budget: "88 of 100 labels left" }),
    ).toBe("12 labeled · item 3 of 10 · 88 of 100 labels left");
  });

  it("leaves out what is missing", () => {
    expect(progress_text({ n_labeled: 0, item_index: 0, n_items: 5 })).toBe(
      "0 labeled · item 1 of 5",
    );
    expect(progress_text({ n_labeled: 5, item_index: -1, n_items: 5, budget: "" })).toBe(
      "5 labeled · batch done",
    );
    expect(progress_text({ n_labeled: 5, item_index: -1, n_items: 0 })).toBe("5 labeled");
  });
});

describe("collapse_text", () => {
  it("keeps short and slightly long texts whole", () => {
    expect(collapse_text("hello")).toEqual({ shown: "hello", hidden: 0 });
    const t = "x".repeat(700);
    expect(collapse_text(t)).toEqual({ shown: t, hidden: 0 });
  });

  it("cuts long texts near the limit at a space", () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
    const { shown, hidden } = collapse_text(words, 600);

    expect(shown.length).toBeLessThanOrEqual(600);
    expect(shown.length).toBeGreaterThan(480);
    expect(words.startsWith(shown)).toBe(true);
    expect(words[shown.length]).toBe(" ");
    expect(hidden).toBe(words.length - shown.length);
  });

  it("cuts a text without spaces at the limit, never inside a surrogate pair", () => {
    expect(collapse_text("y".repeat(2000), 600).shown.length).toBe(600);
    const emoji = "😀".repeat(1000); // each is two UTF-16 units
    const { shown } = collapse_text(emoji, 601);

    expect(shown.length % 2).toBe(0);
  });

  it("labels the toggle", () => {
    expect(more_text(1)).toBe("show more (1 more character)");
    expect(more_text(1400)).toBe("show more (1,400 more characters)");
  });
});

describe("judge_line", () => {
  it("names the judge, its label, its confidence and its rationale", () => {
    expect(
      judge_line({ label: "spam", rationale: "an offer", confidence: 0.8, model: "kw", use: "x" }),
    ).toBe("LLM judge (kw): spam (80% sure) — an offer");
    expect(judge_line({ label: ["a", "b"], rationale: null, confidence: null, model: "" })).toBe(
      "LLM judge: a, b",
    );
    expect(judge_line({ label: null, rationale: "  unclear  " })).toBe("LLM judge: — — unclear");
  });

  it("is empty without a usable note", () => {
    expect(judge_line(null)).toBe("");
    expect(judge_line(undefined)).toBe("");
    expect(judge_line({})).toBe("");
    expect(judge_line("spam" as never)).toBe("");
    expect(judge_line([1, 2] as never)).toBe("");
    expect(judge_line({ label: 3 as never, confidence: 0.5 })).toBe("");
  });

  it("cuts a long rationale and ignores a confidence that is not a number", () => {
    const line = judge_line({
      label: "ham",
      rationale: "word ".repeat(200),
      confidence: Number.NaN,
    });

    expect(line.startsWith("LLM judge: ham — word")).toBe(true);
    expect(line.endsWith("…")).toBe(true);
    expect(line.length).toBeLessThan(320);
  });
});

describe("the other tasks' labels", () => {
  const grades: ClassSpec[] = [
    { name: "not relevant", key: "1", description: "", value: 0 },
    { name: "relevant", key: "2", description: "", value: 1 },
  ];

  it("formats a model's numbers to about 3 significant digits", () => {
    expect(format_number(3.2)).toBe("3.2");
    expect(format_number(3.1234)).toBe("3.12");
    expect(format_number(0.012345)).toBe("0.0123");
    expect(format_number(1234.5)).toBe("1235");
    expect(format_number(-2.5)).toBe("-2.5");
    expect(format_number(42)).toBe("42");
    expect(format_number(0.00001234)).toBe("0.0000123");
    expect(format_number(1.23e-7)).toBe("1.23e-7");
    expect(format_number(Number.NaN)).toBe("—");
    expect(format_number(null)).toBe("—");
  });

  it("shows a regression prediction with its interval", () => {
    expect(format_regression(3.2, [2.1, 4.4])).toBe("3.2 (2.1 – 4.4)");
    expect(format_regression(3.2, null)).toBe("3.2");
    expect(format_regression(3.2, [2.1])).toBe("3.2");
    expect(format_regression(3.2, [2.1, null])).toBe("3.2");
    expect(format_regression(null, [1, 2])).toBe("—");
  });

  it("names a grade, by name or by number", () => {
    expect(grade_name("relevant", grades)).toBe("relevant");
    expect(grade_name(0, grades)).toBe("not relevant");
    expect(grade_name(7, grades)).toBe("7");
    expect(grade_name(null, grades)).toBe("—");
  });

  it("formats each task's answer", () => {
    const text = "😀 at 7 pm";
    const spans = [{ start: 5, end: 9, type: "time" }];

    expect(format_answer("extraction", spans, { text })).toBe("time “7 pm”");
    expect(format_answer("extraction", [], { text })).toBe("no spans");
    expect(format_answer("extraction", "spam", { text })).toBe("—");
    expect(format_answer("ranking", 1, { classes: grades })).toBe("relevant");
    expect(format_answer("regression", 3.25)).toBe("3.25");
    expect(format_answer("regression", "x")).toBe("—");
    expect(format_answer("multilabel", ["a", "b"])).toBe("a, b");
    expect(format_answer("classification", null)).toBe("—");
    expect(format_label(2.5)).toBe("2.5");
    expect(format_label(spans)).toBe("time 5–9");
  });

  it("parses the typed number, or says why not", () => {
    expect(parse_number("3.5")).toEqual({ value: 3.5 });
    expect(parse_number("  -0.25 ")).toEqual({ value: -0.25 });
    expect(parse_number("+.5")).toEqual({ value: 0.5 });
    expect(parse_number("7.")).toEqual({ value: 7 });
    expect(parse_number("1e3")).toEqual({ value: 1000 });
    expect(parse_number("\u22122")).toEqual({ value: -2 }); // a typographic minus sign
    expect(parse_number("")).toEqual({ error: "type a number" });
    expect(parse_number("   ")).toEqual({ error: "type a number" });
    expect(parse_number("abc")).toEqual({ error: '"abc" is not a number' });
    expect(parse_number("0x10")).toEqual({ error: '"0x10" is not a number' });
    expect(parse_number("NaN")).toEqual({ error: '"NaN" is not a number' });
    expect(parse_number("Infinity")).toEqual({ error: '"Infinity" is not a number' });
    expect(parse_number("1e400")).toEqual({ error: '"1e400" is too large' });
    expect(parse_number("1,5").error).toMatch(/use a point for decimals/);
    expect(parse_number("1,200").error).toMatch(/no thousands separator/);
    expect(parse_number("1 000")).toEqual({ error: '"1 000" is not a number' });
    expect(parse_number("x".repeat(40)).error).toBe(`"${"x".repeat(23)}…" is not a number`);
  });
});
