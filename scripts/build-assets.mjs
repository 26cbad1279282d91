// Copies the API reference renderer (swagger-ui-dist, from npm) into dist/assets, the directory
// wrangler serves as Workers Static Assets: 1.9 MB that must not count against the Worker bundle.
// Run by predev / pretest / predeploy and by the vitest configs; cheap and idempotent.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(root, "dist", "assets");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];

export function buildAssets() {
  const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const target = join(ASSETS_DIR, "docs", "swagger-ui");
  mkdirSync(target, { recursive: true });
  for (const file of FILES) copyFileSync(join(source, file), join(target, file));
  return target;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`build-assets: ${buildAssets()}`);
