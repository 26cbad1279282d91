// Fails on an import cycle among src/ modules (type-only imports included: they couple files just
// the same). `npm test` runs it; a cycle is named file by file.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gen" ? [] : files(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const graph = new Map();
for (const file of files(src)) {
  const text = readFileSync(file, "utf8");
  const deps = [...text.matchAll(/(?:import|export)\s[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => resolve(dirname(file), m[1]));
  graph.set(file, deps.filter((dep) => dep.startsWith(src)));
}

const cycles = [];
const state = new Map(); // 1: on the stack, 2: done
const stack = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (state.get(dep) === 1) cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(root, f)).join(" → "));
    else if (!state.has(dep)) visit(dep);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  console.error(`import cycles in src/ (${cycles.length}):\n  ${cycles.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-cycles: ${graph.size} modules, no import cycle`);
