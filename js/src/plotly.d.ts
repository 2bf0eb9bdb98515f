// plotly.js-basic-dist-min ships no types (the @types package covers the full plotly.js and
// pulls in d3 types): declare only what plot.ts uses.
declare module "plotly.js-basic-dist-min" {
  const Plotly: {
    react(div: HTMLElement, data: object[], layout: object, config?: object): Promise<unknown>;
    purge(div: HTMLElement): void;
    Plots: { resize(div: HTMLElement): void };
  };
  export default Plotly;
}
