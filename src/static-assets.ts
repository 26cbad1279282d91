// Files from Workers Static Assets (dist/assets, built by scripts/build-assets.mjs) answered by the
// Worker. Deployed and under `wrangler dev` the asset router answers their paths before the Worker
// runs, except the paths wrangler.toml's run_worker_first sends here first (the playground's, so
// production can refuse them); this also serves them where no asset router is in front (the vitest
// plugin's exports.default.fetch).
import type { Handler } from "hono";
import type { AppEnv } from "./app-env.ts";

export const fromAssets: Handler<AppEnv> = async (c) => {
  const response = await c.env.ASSETS.fetch(c.req.raw);
  return response.status === 404 ? c.notFound() : response;
};
