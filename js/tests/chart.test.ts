import { beforeEach, describe, expect, it, vi } from "vitest";

// plotly needs a real layout engine: the glue module is replaced here
vi.mock("../src/plot", () => ({
  draw: vi.fn(async () => {}),
  resize: vi.fn(),
  purge: vi.fn(),
}));

import { create_chart } from "../src/chart";
import * as plot from "../src/plot";

const fig = () => ({ data: [], layout: {}, config: {} });

describe("create_chart", () => {
  beforeEach(() => {
    vi.mocked(plot.draw).mockClear();
    vi.mocked(plot.draw).mockImplementation(async () => {});
  });

  it("draws once when idle, and again only when invalidated", async () => {
    const jobs: (() => void)[] = [];
    const idle = (cb: () => void) => {
      jobs.push(cb);
      return () => {};
    };
    const div = document.createElement("div");
    const chart = create_chart(div, fig, idle);

    expect(plot.draw).not.toHaveBeenCalled(); // nothing before the idle callback
    jobs.shift()?.();
    await Promise.resolve();
    expect(plot.draw).toHaveBeenCalledTimes(1);
    expect(jobs).toHaveLength(0);

    chart.invalidate();
    chart.invalidate(); // coalesced
    expect(jobs).toHaveLength(1);
    jobs.shift()?.();
    await Promise.resolve();
    expect(plot.draw).toHaveBeenCalledTimes(2);

    chart.dispose();
    expect(plot.purge).toHaveBeenCalledWith(div);
  });

  it("shows a failure as text instead of throwing", async () => {
    vi.mocked(plot.draw).mockRejectedValueOnce(new Error("no webgl"));
    const div = document.createElement("div");
    create_chart(div, fig, (cb) => {
      cb();
      return () => {};
    });
    await vi.waitFor(() => expect(div.getAttribute("data-error")).toBe("true"));

    expect(div.textContent).toContain("no webgl");
  });

  it("does not draw after dispose", async () => {
    const jobs: (() => void)[] = [];
    const chart = create_chart(document.createElement("div"), fig, (cb) => {
      jobs.push(cb);
      return () => jobs.splice(0);
    });
    chart.dispose();

    expect(jobs).toHaveLength(0);
    expect(plot.draw).not.toHaveBeenCalled();
  });
});
