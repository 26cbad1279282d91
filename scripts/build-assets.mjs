// Builds dist/assets, the directory wrangler serves as Workers Static Assets (outside the Worker
// bundle): the API reference renderer copied from npm (swagger-ui-dist, 1.9 MB), and the console's
// and the playground's scripts bundled from src/browser/ by esbuild (type-checked by
// `npm run typecheck`, not here). Run by predev / pretest / predeploy and by the vitest configs;
// cheap and idempotent.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(root, "dist", "assets");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];

/** Each page's script at the URL its page loads it from (under the page's own path). */
export const SCRIPTS = {
  "console/console": "src/browser/console.ts",
  "playground/playground": "src/browser/playground.ts",
};

export function buildAssets() {
  const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const target = join(ASSETS_DIR, "docs", "swagger-ui");
  mkdirSync(target, { recursive: true });
  for (const file of FILES) copyFileSync(join(source, file), join(target, file));
  // Unminified: a few dozen KB that an operator can read in the browser's devtools as written.
  buildSync({
    absWorkingDir: root,
    entryPoints: SCRIPTS,
    outdir: ASSETS_DIR,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    tsconfig: "src/browser/tsconfig.json",
    logLevel: "warning",
  });
  return ASSETS_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(`build-assets: ${buildAssets()}`);
