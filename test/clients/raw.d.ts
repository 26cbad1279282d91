// Vite's `?raw` imports (a file's text), used to compare docs with the scripts that run them.
declare module "*?raw" {
  const text: string;
  export default text;
}
