import { defineConfig } from "vitest/config";

// Browser tests: Node drives Debian's Chromium (playwright-core) against the Worker running in
// workerd through wrangler's unstable_dev, in dev mode with the console provider. Not the
// Cloudflare vitest plugin: these tests need a real HTTP port and a real browser.
export default defineConfig({
  test: {
    name: "browser",
    environment: "node",
    include: ["test/browser/**/*.browser.mjs"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
