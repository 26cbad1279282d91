// `node --experimental-transform-types --import ./scripts/client-from-source.mjs ...`: resolves
// "@edge-verify/client" to clients/typescript/src, so the example's modules can be unit-tested in
// Node without `npm pack` and an install into the example (scripts/example.mjs does those for the
// browser test and `npm run example`).
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

const SOURCE = new URL("../clients/typescript/src/index.ts", import.meta.url).href;

export async function resolve(specifier, context, next) {
  return specifier === "@edge-verify/client" ? { url: SOURCE, shortCircuit: true } : next(specifier, context);
}

// This file is both the --import entry (main thread) and the hooks module (its own thread).
if (isMainThread) register(import.meta.url);
