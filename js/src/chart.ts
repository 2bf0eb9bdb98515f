/**
 * The learning curve, drawn after the labeling view is up: the first draw waits for an idle
 * moment, and later draws happen only when `invalidate()` says the curve or counts changed.
 */
import type { Figure } from "./figure";
import { draw, purge, resize } from "./plot";

export interface Chart {
  /** The figure's data changed: redraw (soon, once). */
  invalidate(): void;
  dispose(): void;
}

type Idle = (cb: () => void) => () => void;

/** requestIdleCallback when the browser has it (bounded wait), else a zero timeout. */
export const when_idle: Idle = (cb) => {
  const w = window as unknown as {
    requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number;
    cancelIdleCallback?: (id: number) => void;
  };
  if (w.requestIdleCallback && w.cancelIdleCallback) {
    const id = w.requestIdleCallback(cb, { timeout: 400 });
    const cancel = w.cancelIdleCallback;
    return () => cancel(id);
  }
  const id = setTimeout(cb, 0);
  return () => clearTimeout(id);
};

export function create_chart(
  div: HTMLElement,
  figure: () => Figure,
  idle: Idle = when_idle,
): Chart {
  let dirty = true;
  let busy = false;
  let disposed = false;
  let cancel: (() => void) | null = null;
  let observer: ResizeObserver | null = null;

  const schedule = () => {
    if (cancel || busy || disposed) return;
    cancel = idle(() => {
      cancel = null;
      void run();
    });
  };

  const run = async () => {
    if (!dirty || disposed) return;
    dirty = false;
    busy = true;
    try {
      if (div.hasAttribute("data-error")) {
        div.textContent = "";
        div.removeAttribute("data-error");
      }
      await draw(div, figure());
      if (!observer && typeof ResizeObserver !== "undefined") {
        observer = new ResizeObserver(() => resize(div));
        observer.observe(div);
      }
    } catch (err) {
      // the curve is an extra: a failure must not take the labeling view down with it
      div.textContent = `the learning curve could not be drawn: ${String(err)}`;
      div.setAttribute("data-error", "true");
    } finally {
      busy = false;
    }
    if (dirty) schedule();
  };

  schedule();
  return {
    invalidate() {
      dirty = true;
      schedule();
    },
    dispose() {
      disposed = true;
      cancel?.();
      observer?.disconnect();
      purge(div);
    },
  };
}
