import { describe, expect, it } from "vitest";
import { guard_line, mount_guards, ordered, summary_text } from "../src/guards";
import { fake_model } from "./fake_model";

const G = [
  { name: "skip_rate", value: 0.1, threshold: 0.3, tripped: false, message: "fine", round: 2 },
  {
    name: "near_identical",
    value: 0.25,
    threshold: 0,
    tripped: true,
    message: "5 of 20 batch items are near-duplicates",
    round: 2,
  },
  {
    name: "eval_leakage",
    value: null,
    threshold: 0.01,
    tripped: false,
    message: "no held-out set",
  },
];

describe("guards panel helpers", () => {
  it("puts tripped guards first and drops malformed entries", () => {
    const out = ordered([...G, null, 3, { value: 1 }]);
    expect(out.map((g) => g.name)).toEqual(["near_identical", "eval_leakage", "skip_rate"]);
    expect(ordered("nope")).toEqual([]);
  });

  it("summarises how many tripped, and when", () => {
    expect(summary_text(ordered(G))).toBe("checks after round 2: 1 of 3 tripped");
    expect(summary_text(ordered([G[0]]))).toBe("checks after round 2: all 1 passed");
    expect(summary_text([])).toBe("");
  });

  it("writes a guard as value against limit and its sentence", () => {
    expect(guard_line(G[1])).toBe(
      "⚠ near identical 0.250 (limit 0.0): 5 of 20 batch items are near-duplicates",
    );
    expect(guard_line(G[2])).toBe("eval leakage n/a (limit 0.010): no held-out set");
  });
});

describe("mount_guards", () => {
  it("renders text only and follows the trait", () => {
    const model = fake_model({ guards: [] });
    const parent = document.createElement("div");
    const unmount = mount_guards(model as never, parent);
    const box = parent.querySelector<HTMLDetailsElement>("[data-testid=jal-guards]");
    expect(box?.hidden).toBe(true);

    model.set("guards", [
      ...G,
      { name: "x", value: 1, threshold: 0, tripped: true, message: "<b>no html</b>" },
    ]);

    expect(box?.hidden).toBe(false);
    const items = [...parent.querySelectorAll("[data-testid=jal-guard]")];
    expect(items.map((li) => (li as HTMLElement).dataset.name)).toEqual([
      "near_identical",
      "x",
      "eval_leakage",
      "skip_rate",
    ]);
    expect(parent.querySelector("b")).toBeNull();
    expect(items[1].textContent).toContain("<b>no html</b>");
    expect(box?.classList.contains("jal-guards-tripped")).toBe(true);
    unmount();
    expect(parent.querySelector("[data-testid=jal-guards]")).toBeNull();
  });
});
