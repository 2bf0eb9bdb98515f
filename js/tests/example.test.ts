import { describe, expect, it } from "vitest";
import {
  build_context,
  build_image,
  build_table,
  build_text,
  grey_to_rgba,
  image_scale,
  join_units,
  pairs_per_row,
  read_context,
  table_rows,
  unit_where,
} from "../src/example";

describe("table rows", () => {
  it("groups pairs and stringifies values", () => {
    expect(
      table_rows(
        [
          ["a", "1"],
          ["b", 2],
          ["c", null],
        ],
        2,
      ),
    ).toEqual([
      [
        ["a", "1"],
        ["b", "2"],
      ],
      [["c", ""]],
    ]);
    expect(table_rows("nope", 2)).toEqual([]);
    expect(pairs_per_row(4)).toBe(1);
    expect(pairs_per_row(20)).toBe(2);
    expect(pairs_per_row(64)).toBe(3);
  });

  it("renders a table with th/td text", () => {
    const t = build_table(document, [
      ["petal <b>length</b>", "1.4"],
      ["width", "0.2"],
    ]);

    expect(t.querySelectorAll("tr")).toHaveLength(2);
    expect(t.querySelector("th")?.textContent).toBe("petal <b>length</b>");
    expect(t.querySelector("b")).toBeNull();
    expect(t.querySelectorAll("td")[1].textContent).toBe("0.2");
  });
});

describe("grey images", () => {
  it("expands grey levels to RGBA, clamping", () => {
    const rgba = grey_to_rgba({ width: 2, height: 1, pixels: [0, 300] });

    expect(Array.from(rgba ?? [])).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(grey_to_rgba({ width: 2, height: 2, pixels: [1, 2, 3] })).toBeNull();
    expect(grey_to_rgba({ width: 0, height: 0, pixels: [] })).toBeNull();
    expect(grey_to_rgba(null)).toBeNull();
  });

  it("zooms small images by whole steps", () => {
    expect(image_scale(8, 8)).toBe(24);
    expect(image_scale(28, 28)).toBe(6);
    expect(image_scale(500, 300)).toBe(1);
  });

  it("builds a canvas at the image size, scaled by CSS", () => {
    const node = build_image(document, { width: 8, height: 4, pixels: new Array(32).fill(128) });

    expect(node.tagName).toBe("CANVAS");
    expect((node as HTMLCanvasElement).width).toBe(8);
    expect((node as HTMLCanvasElement).height).toBe(4);
    expect(node.style.width).toBe("192px");
    expect(node.getAttribute("aria-label")).toContain("8×4");
  });

  it("explains an image whose size does not match", () => {
    const node = build_image(document, { width: 8, height: 8, pixels: [1] });

    expect(node.tagName).toBe("DIV");
    expect(node.textContent).toContain("cannot be shown");
  });
});

describe("text", () => {
  it("shows short text whole, with dir=auto", () => {
    const { node, toggle } = build_text(document, "مرحبا بالعالم", false);

    expect(node.textContent).toBe("مرحبا بالعالم");
    expect(node.getAttribute("dir")).toBe("auto");
    expect(toggle).toBeNull();
  });

  it("collapses long text behind a toggle", () => {
    const long = "word ".repeat(400);
    const collapsed = build_text(document, long, false);
    const open = build_text(document, long, true);

    expect(collapsed.node.textContent?.length).toBeLessThan(620);
    expect(collapsed.toggle?.textContent).toMatch(/^show more \(1,\d{3} more characters\)$/);
    expect(collapsed.toggle?.getAttribute("aria-expanded")).toBe("false");
    expect(open.node.textContent).toBe(long);
    expect(open.toggle?.textContent).toBe("show less");
  });
});

describe("a prediction unit's context", () => {
  const raw = {
    kind: "sentence",
    parent_id: "d7",
    position: 2,
    n_units: 12,
    start: 40,
    end: 61,
    before: ["One.", "Two."],
    after: ["Four."],
  };

  it("reads the context, and nothing from a malformed one", () => {
    expect(read_context(raw)).toEqual({
      kind: "sentence",
      parent_id: "d7",
      position: 2,
      n_units: 12,
      before: ["One.", "Two."],
      after: ["Four."],
    });
    expect(read_context(null)).toBeNull();
    expect(read_context([1])).toBeNull();
    expect(read_context("x")).toBeNull();
    const odd = read_context({ kind: "page", parent_id: 7, position: -1, before: [1, "a"] });
    expect(odd).toEqual({
      kind: "document",
      parent_id: "7",
      position: -1,
      n_units: 0,
      before: ["a"],
      after: [],
    });
  });

  it("says where the unit sits (1-based) and in what", () => {
    const c = read_context(raw);
    expect(c && unit_where(c)).toBe("sentence 3 of 12 · document d7");
    const m = read_context({ ...raw, kind: "message", parent_id: "t1", position: 0 });
    expect(m && unit_where(m)).toBe("message 1 of 12 · conversation t1");
    const bare = read_context({ kind: "chunk" });
    expect(bare && unit_where(bare)).toBe("chunk");
  });

  it("joins sentences with spaces, other units by lines", () => {
    expect(join_units("sentence", ["A.", "B."])).toBe("A. B.");
    expect(join_units("message", ["hi", "yo"])).toBe("hi\nyo");
  });

  it("builds the dimmed neighbours as text, none when empty", () => {
    const c = read_context({ ...raw, before: ["<b>x</b>"], after: [] });
    const node = c && build_context(document, c, "before");

    expect(node?.dataset.testid).toBe("jal-context-before");
    expect(node?.className).toBe("jal-context jal-context-before");
    expect(node?.textContent).toBe("<b>x</b>");
    expect(node?.querySelector("b")).toBeNull();
    expect(c && build_context(document, c, "after")).toBeNull();
  });
});
