// esbuild turns the CSS import into widget.css beside widget.js; TypeScript 7 needs this to
// accept the side-effect import.
declare module "*.css";
