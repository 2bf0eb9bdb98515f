import { describe, expect, it } from "vitest";
import {
  add_span,
  apply_type,
  can_escape,
  clear_spans,
  click_at,
  compare_spans,
  contains,
  cp_to_u16,
  crosses,
  cycle_span,
  describe_span,
  escape_work,
  index_text,
  is_space,
  move_cursor,
  overlaps,
  parse_spans,
  pick_span,
  remove_selected,
  remove_span,
  type SpanWork,
  segments,
  select_tokens,
  selected_tokens,
  slice_cp,
  snap_to_tokens,
  sort_spans,
  spans_text,
  start_work,
  token_at,
  tokenize,
  tokens_in,
  u16_to_cp,
  type WorkSpan,
  work_label,
} from "../src/spans";

const TEXT = "a table for 4 people at 7:30pm, please";
const ix = index_text(TEXT);
const tokens = tokenize(ix);
const pairs = (ts: { start: number; end: number }[]) => ts.map((t) => [t.start, t.end]);
const you = (start: number, end: number, type: string): WorkSpan => ({
  start,
  end,
  type,
  origin: "you",
});
const blank = (extra: Partial<SpanWork> = {}): SpanWork => ({
  spans: [],
  cursor: null,
  anchor: null,
  selected: null,
  note: "",
  ...extra,
});

describe("code points vs UTF-16", () => {
  it("indexes a text with an astral character by code point", () => {
    const e = index_text("😀 café");

    expect(e.text.length).toBe(7);
    expect(e.n).toBe(6); // Python: len("😀 café") == 6
    expect(e.u16).toEqual([0, 2, 3, 4, 5, 6, 7]);
    expect(cp_to_u16(e, 1)).toBe(2);
    expect(u16_to_cp(e, 2)).toBe(1);
    expect(slice_cp(e, 2, 6)).toBe("café");
  });

  it("rounds an offset between a surrogate pair's halves down or up", () => {
    const e = index_text("x😀y");

    expect(u16_to_cp(e, 2, "down")).toBe(1);
    expect(u16_to_cp(e, 2, "up")).toBe(2);
    expect(u16_to_cp(e, 3, "up")).toBe(2); // a boundary stays where it is
    expect(u16_to_cp(e, -5)).toBe(0);
    expect(u16_to_cp(e, 99)).toBe(3);
    expect(cp_to_u16(e, 99)).toBe(4);
    expect(cp_to_u16(e, Number.NaN)).toBe(0);
  });

  it("has an empty text", () => {
    const e = index_text("");

    expect(e.n).toBe(0);
    expect(tokenize(e)).toEqual([]);
    expect(u16_to_cp(e, 3)).toBe(0);
  });
});

describe("tokens (jupyter_al.extraction.TOKEN_PATTERN)", () => {
  it("splits like Python: digits, letters, one punctuation mark each", () => {
    // expected values from Python: re.finditer(TOKEN_PATTERN, text)
    expect(pairs(tokens)).toEqual([
      [0, 1],
      [2, 7],
      [8, 11],
      [12, 13],
      [14, 20],
      [21, 23],
      [24, 25],
      [25, 26],
      [26, 28],
      [28, 30],
      [30, 31],
      [32, 38],
    ]);
  });

  it("counts code points and uses Python's Unicode classes", () => {
    expect(pairs(tokenize(index_text("😀 café 5ish_x")))).toEqual([
      [0, 1],
      [2, 6],
      [7, 8],
      [8, 11],
      [11, 12],
      [12, 13],
    ]);
    // a combining mark is no letter for Python; Arabic-Indic digits are \d; ½ and Ⅷ are \w;
    // \x1f is whitespace for Python (not for JavaScript's \s), \ufeff is not
    expect(
      pairs(tokenize(index_text("e\u0301t\u00e9 \u0663\u0664 \u00bd\u2167 \x1fx\ufeffy"))),
    ).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
      [5, 7],
      [8, 10],
      [12, 13],
      [13, 14],
      [14, 15],
    ]);
    expect(pairs(tokenize(index_text("naïve—ok")))).toEqual([
      [0, 5],
      [5, 6],
      [6, 8],
    ]);
  });

  it("knows Python's whitespace", () => {
    expect(is_space("\x1f")).toBe(true);
    expect(is_space("\u3000")).toBe(true);
    expect(is_space("\ufeff")).toBe(false);
    expect(is_space("a")).toBe(false);
  });

  it("snaps a selection outward to whole tokens after trimming whitespace", () => {
    // " peo" (11..17) -> "people"; "or 4 pe" -> "for 4 people"
    expect(snap_to_tokens(ix, tokens, 13, 16)).toEqual({ start: 14, end: 20 });
    expect(snap_to_tokens(ix, tokens, 9, 16)).toEqual({ start: 8, end: 20 });
    expect(tokens_in(ix, tokens, 9, 16)).toEqual([2, 4]);
    expect(snap_to_tokens(ix, tokens, 23, 29)).toEqual({ start: 24, end: 30 }); // " 7:30p"
    expect(snap_to_tokens(ix, tokens, 11, 12)).toBe(null); // a space only
    expect(snap_to_tokens(ix, tokens, 5, 5)).toBe(null);
    expect(snap_to_tokens(ix, tokens, 35, 999)).toEqual({ start: 32, end: 38 });
  });

  it("snaps around an emoji by code point", () => {
    const e = index_text("😀😀 book 7 pm");
    const t = tokenize(e);

    expect(snap_to_tokens(e, t, 4, 6)).toEqual({ start: 3, end: 7 });
    expect(slice_cp(e, 3, 7)).toBe("book");
    expect(snap_to_tokens(e, t, 0, 1)).toEqual({ start: 0, end: 1 });
  });

  it("finds the token at a point (or the next, or the last)", () => {
    expect(token_at(tokens, 3)).toBe(1);
    expect(token_at(tokens, 7)).toBe(2); // the space after "table": the next token
    expect(token_at(tokens, 999)).toBe(11);
    expect(token_at([], 0)).toBe(-1);
  });
});

describe("spans and the overlap rules", () => {
  const time = you(24, 30, "time");

  it("tells overlap, containment and crossing apart", () => {
    expect(overlaps(time, you(28, 31, "x"))).toBe(true);
    expect(overlaps(time, you(30, 31, "x"))).toBe(false); // touching is not overlapping
    expect(contains(time, you(24, 26, "x"))).toBe(true);
    expect(crosses(time, you(24, 26, "x"))).toBe(false);
    expect(crosses(time, you(28, 31, "x"))).toBe(true);
    expect(crosses(time, you(24, 30, "x"))).toBe(false); // the same extent nests
  });

  it("sorts by (start, end, type) and drops duplicates", () => {
    const sorted = sort_spans([you(5, 9, "b"), you(5, 7, "z"), you(5, 9, "a"), you(5, 9, "b")]);

    expect(sorted.map((s) => [s.start, s.end, s.type])).toEqual([
      [5, 7, "z"],
      [5, 9, "a"],
      [5, 9, "b"],
    ]);
    expect(compare_spans(you(1, 2, "a"), you(1, 2, "a"))).toBe(0);
  });

  it("forbid: a new span replaces the spans it overlaps, and says so", () => {
    const r = add_span([time, you(14, 20, "people")], you(21, 30, "time"), "forbid", ix);

    expect(r.added).toBe(true);
    expect(r.spans.map((s) => [s.start, s.end, s.type])).toEqual([
      [14, 20, "people"],
      [21, 30, "time"],
    ]);
    expect(r.index).toBe(1);
    expect(r.note).toBe("time “at 7:30pm” replaced time “7:30pm” (spans may not overlap)");
  });

  it("nested: containing is fine, crossing is refused with a note", () => {
    const inner = add_span([time], you(24, 25, "hour"), "nested", ix);
    const cross = add_span([time], you(21, 25, "x"), "nested", ix);

    expect(inner.added).toBe(true);
    expect(inner.spans.length).toBe(2);
    expect(cross.added).toBe(false);
    expect(cross.index).toBe(-1);
    expect(cross.spans).toEqual([time]);
    expect(cross.note).toBe(
      "not added: x “at 7” crosses time “7:30pm” (spans may nest, not cross)",
    );
  });

  it("allow: anything goes, but never the same span twice", () => {
    const r = add_span([time], you(21, 26, "x"), "allow", ix);
    const dup = add_span([time], { start: 24, end: 30, type: "time" }, "allow", ix);

    expect(r.spans.length).toBe(2);
    expect(dup.added).toBe(false);
    expect(dup.index).toBe(0);
    expect(dup.note).toBe("time “7:30pm” is there");
  });

  it("reads Python's spans: dicts or triples, malformed ones dropped", () => {
    const spans = parse_spans(
      [
        { start: 5, end: 9, type: "b" },
        [0, 2, "a"],
        { start: 3, end: 3, type: "empty" },
        { start: 1.5, end: 3, type: "half" },
        { start: 0, end: 99, type: "too long" },
        { start: 0, end: 1 },
        null,
        "x",
      ],
      10,
    );

    expect(spans).toEqual([
      { start: 0, end: 2, type: "a" },
      { start: 5, end: 9, type: "b" },
    ]);
    expect(parse_spans(null)).toEqual([]);
    expect(parse_spans("spam")).toEqual([]);
  });

  it("describes spans with their covered text (cut when long)", () => {
    expect(describe_span(time, ix)).toBe("time “7:30pm”");
    expect(describe_span(time)).toBe("time 24–30");
    expect(describe_span(you(0, 20, "x"), ix, 8)).toBe("x “a table…”");
    expect(spans_text([time, you(14, 20, "people")], ix)).toBe("time “7:30pm” · people “people”");
    expect(spans_text([])).toBe("no spans");
  });
});

describe("the span editor", () => {
  it("starts from the label, else the proposed spans, else nothing", () => {
    const label = [{ start: 0, end: 1, type: "a" }];
    const pred = [{ start: 2, end: 7, type: "b" }];

    expect(start_work(label, pred, true).spans).toEqual([{ ...label[0], origin: "you" }]);
    expect(start_work([], pred, true).spans).toEqual([]); // labeled "no spans"
    expect(start_work(null, pred, true).spans).toEqual([{ ...pred[0], origin: "model" }]);
    expect(start_work(null, pred, false).spans).toEqual([]); // the prediction is hidden
    expect(start_work(null, null, true).spans).toEqual([]);
  });

  it("moves the token cursor and extends the selection with shift", () => {
    let w = move_cursor(blank(), tokens.length, 1, false);
    expect(w.cursor).toBe(0);
    for (let k = 0; k < 3; k++) w = move_cursor(w, tokens.length, 1, false);
    expect(selected_tokens(w)).toEqual([3, 3]); // "4"
    expect(w.anchor).toBe(null);
    w = move_cursor(w, tokens.length, 1, true);
    expect(selected_tokens(w)).toEqual([3, 4]); // "4 people"
    w = move_cursor(w, tokens.length, -1, true);
    w = move_cursor(w, tokens.length, -1, true);
    expect(selected_tokens(w)).toEqual([2, 3]); // back past the anchor: "for 4"
    w = move_cursor(w, tokens.length, 1, false);
    expect(w.anchor).toBe(null);

    expect(move_cursor(blank(), tokens.length, -1, false).cursor).toBe(11); // from nowhere: last
    expect(move_cursor(blank({ cursor: 11 }), tokens.length, 1, false).cursor).toBe(11); // clamped
    expect(move_cursor(blank({ cursor: 0 }), tokens.length, -1, false).cursor).toBe(0);
    expect(move_cursor(blank(), 0, 1, false).cursor).toBe(null); // no tokens
    expect(selected_tokens(blank())).toBe(null);
  });

  it("a type adds a span over the selected tokens and selects it", () => {
    const w = apply_type(blank({ cursor: 4, anchor: 3 }), "people", tokens, "forbid", ix);

    expect(w.spans).toEqual([you(12, 20, "people")]);
    expect(w.selected).toBe(0);
    expect(w.anchor).toBe(null);
    expect(w.note).toBe("added people “4 people”");
    // the cursor's token alone is a selection too
    expect(apply_type(blank({ cursor: 5 }), "x", tokens, "allow").spans).toEqual([
      you(21, 23, "x"),
    ]);
  });

  it("a type with nothing selected says what to do", () => {
    const w = apply_type(blank(), "time", tokens, "forbid", ix);

    expect(w.spans).toEqual([]);
    expect(w.note).toMatch(/^select some text first/);
  });

  it("a refused span keeps the selection, to adjust it", () => {
    const start = blank({ spans: [you(24, 30, "time")], cursor: 6, anchor: 5 }); // "at 7"
    const w = apply_type(start, "x", tokens, "nested", ix);

    expect(w.spans).toEqual(start.spans);
    expect(w.anchor).toBe(5);
    expect(w.note).toMatch(/^not added/);
  });

  it("a type retypes the selected span (a model's span becomes yours)", () => {
    const model: WorkSpan = { start: 24, end: 30, type: "people", origin: "model" };
    const w = apply_type(blank({ spans: [model], selected: 0 }), "time", tokens, "forbid", ix);

    expect(w.spans).toEqual([you(24, 30, "time")]);
    expect(w.selected).toBe(0);
    expect(w.note).toBe("people “7:30pm” is now time");
    expect(apply_type(w, "time", tokens, "forbid", ix).note).toBe("kept time “7:30pm”");
  });

  it("retyping onto an identical span merges the two", () => {
    const spans = [you(24, 30, "a"), you(24, 30, "b")];
    const w = apply_type(blank({ spans, selected: 1 }), "a", tokens, "allow", ix);

    expect(w.spans).toEqual([you(24, 30, "a")]);
    expect(w.selected).toBe(0);
  });

  it("Tab cycles through the spans, and past the end selects none", () => {
    const spans = [you(0, 1, "a"), you(14, 20, "b"), you(24, 30, "c")];
    let w = cycle_span(blank({ spans }), 1, tokens);
    expect(w.selected).toBe(0);
    w = cycle_span(w, 1, tokens);
    expect(w.selected).toBe(1);
    expect(w.cursor).toBe(4); // the cursor follows to the span's first token
    w = cycle_span(cycle_span(w, 1, tokens), 1, tokens);
    expect(w.selected).toBe(null);
    expect(cycle_span(blank({ spans }), -1, tokens).selected).toBe(2);
    expect(cycle_span(blank(), 1).selected).toBe(null);
  });

  it("Delete removes the selected span; a chip removes its own", () => {
    const spans = [you(0, 1, "a"), you(14, 20, "b"), you(24, 30, "c")];
    const w = remove_selected(blank({ spans, selected: 1 }), ix);

    expect(w.spans.map((s) => s.type)).toEqual(["a", "c"]);
    expect(w.selected).toBe(null);
    expect(w.note).toBe("removed b “people”");
    expect(remove_span(blank({ spans, selected: 2 }), 0).selected).toBe(1); // index shifts
    expect(remove_span(blank({ spans, selected: 0 }), 2).selected).toBe(0);
    const none = blank({ spans });
    expect(remove_selected(none)).toBe(none);
    expect(remove_span(none, 7)).toBe(none);
  });

  it("clear empties the working set (to confirm no spans)", () => {
    const w = clear_spans(blank({ spans: [you(0, 1, "a")], selected: 0, anchor: 2 }));

    expect(w.spans).toEqual([]);
    expect(w.selected).toBe(null);
    expect(w.note).toMatch(/none/);
    expect(clear_spans(blank()).note).toBe("");
  });

  it("Escape clears one thing at a time: span, selection, cursor", () => {
    let w = blank({ spans: [you(0, 1, "a")], selected: 0, anchor: 2, cursor: 3 });
    expect(can_escape(w)).toBe(true);
    w = escape_work(w);
    expect([w.selected, w.anchor, w.cursor]).toEqual([null, 2, 3]);
    w = escape_work(w);
    expect([w.selected, w.anchor, w.cursor]).toEqual([null, null, 3]);
    w = escape_work(w);
    expect(can_escape(w)).toBe(false);
  });

  it("a mouse selection and clicks: tokens, the shortest span, the next one there", () => {
    const spans = [you(21, 30, "outer"), you(24, 30, "time")];
    expect(selected_tokens(select_tokens(blank(), 2, 4))).toEqual([2, 4]);
    let w = click_at(blank({ spans }), 25, tokens);
    expect(w.selected).toBe(1); // the shortest span there
    w = click_at(w, 25, tokens);
    expect(w.selected).toBe(0); // clicking again: the next one there
    w = click_at(w, 3, tokens);
    expect([w.selected, w.cursor]).toEqual([null, 1]); // plain text: the cursor goes there
    expect(pick_span(blank({ spans }), 0).selected).toBe(0);
    expect(pick_span(blank({ spans, selected: 0 }), 0).selected).toBe(null);
    expect(pick_span(blank({ spans }), 5).selected).toBe(null);
  });

  it("sends the working set sorted by (start, end, type), without origins", () => {
    const spans: WorkSpan[] = [
      you(24, 30, "time"),
      { start: 14, end: 20, type: "people", origin: "model" },
      you(14, 20, "a"),
    ];

    expect(work_label(blank({ spans }))).toEqual([
      { start: 14, end: 20, type: "a" },
      { start: 14, end: 20, type: "people" },
      { start: 24, end: 30, type: "time" },
    ]);
  });
});

describe("segments", () => {
  it("cuts the text at every boundary; pieces know what covers them", () => {
    const spans = [you(0, 7, "a"), you(2, 11, "b")]; // crossing spans
    const segs = segments(15, spans, { start: 8, end: 11 }, { start: 12, end: 15 });

    expect(segs.map((s) => [s.start, s.end, s.spans, s.cursor, s.selected])).toEqual([
      [0, 2, [0], false, false],
      [2, 7, [0, 1], false, false],
      [7, 8, [1], false, false],
      [8, 11, [1], true, false],
      [11, 12, [], false, false],
      [12, 15, [], false, true],
    ]);
  });

  it("is one piece for a plain text and nothing for an empty one", () => {
    expect(segments(5, []).length).toBe(1);
    expect(segments(0, [])).toEqual([]);
  });
});
