import { describe, expect, it } from "vitest";
import {
  build_image,
  build_table,
  build_text,
  grey_to_rgba,
  image_scale,
  pairs_per_row,
  table_rows,
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
