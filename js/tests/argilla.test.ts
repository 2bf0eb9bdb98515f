import { describe, expect, it } from "vitest";
import { annotator_lines, safe_link, summary_line } from "../src/argilla";

describe("argilla panel helpers", () => {
  it("reports completed and pending records and what waits", () => {
    expect(
      summary_line({
        progress: { total: 8, completed: 5, pending: 3 },
        pending_send: 2,
        flagged: 1,
      }),
    ).toBe(
      "5 of 8 records completed, 3 pending · 2 not sent yet (retried on next send) · 1 to adjudicate",
    );
  });

  it("lists annotators by name with what they answered", () => {
    const users = {
      bob: {
        completed: { submitted: 4, discarded: 1, draft: 0 },
        pending: { submitted: 1, draft: 2 },
      },
      ann: { completed: { submitted: 6 } },
    };
    expect(annotator_lines({ progress: { users } })).toEqual([
      "ann: 6 answered",
      "bob: 6 answered, 2 draft",
    ]);
  });

  it("shows only http links", () => {
    expect(safe_link("http://127.0.0.1:6900/dataset/x")).toBe("http://127.0.0.1:6900/dataset/x");
    expect(safe_link("javascript:alert(1)")).toBeNull();
    expect(safe_link(undefined)).toBeNull();
  });
});
