/**
 * The only module that touches plotly (tests mock it). plotly.js-basic is bundled into
 * widget.js, but its code runs on the first draw only: esbuild turns this dynamic import into
 * a lazy call inside the same file, so loading the widget does not pay plotly's start-up.
 */
import type { Figure } from "./figure";

interface PlotlyLike {
  react(div: HTMLElement, data: object[], layout: object, config?: object): Promise<unknown>;
  purge(div: HTMLElement): void;
  Plots: { resize(div: HTMLElement): void };
}

let plotly: PlotlyLike | null = null;
let loading: Promise<PlotlyLike> | null = null;

function load_plotly(): Promise<PlotlyLike> {
  if (!loading) {
    const w = window as unknown as { Plotly?: unknown };
    const had = "Plotly" in w;
    const before = w.Plotly;
    loading = import("plotly.js-basic-dist-min").then((mod) => {
      // the bundle assigns window.Plotly as a side effect: give the page back the plotly it had
      // (a notebook's own full plotly must not be replaced by our basic one)
      if (had) w.Plotly = before;
      else delete w.Plotly;
      plotly = ((mod as { default?: unknown }).default ?? mod) as PlotlyLike;
      return plotly;
    });
  }
  return loading;
}

/** Draw or update the figure in `div` (Plotly.react: only what changed is redrawn). */
export async function draw(div: HTMLElement, figure: Figure): Promise<void> {
  const p = await load_plotly();
  await p.react(div, figure.data, figure.layout, figure.config);
}

/** Fit the figure to its container after a size change (no-op before the first draw). */
export function resize(div: HTMLElement): void {
  if (plotly && div.isConnected) plotly.Plots.resize(div);
}

/** Free plotly's listeners and DOM for `div` (no-op before the first draw). */
export function purge(div: HTMLElement): void {
  if (plotly) plotly.purge(div);
}
