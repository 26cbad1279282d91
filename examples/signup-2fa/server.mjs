// Starts the example on http://127.0.0.1:3000 against edge-verify at EDGE_VERIFY_URL (default: the
// `npm run dev` Worker on :8787, console provider, dev key). `npm run example` from the repository
// root installs the client package and runs this.
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createVerifyClient } from "@edge-verify/client";
import { createApp } from "./app.mjs";

const env = process.env;
const baseUrl = env.EDGE_VERIFY_URL ?? "http://127.0.0.1:8787";
// The API key lives in this process only; no page ever receives it.
const apiKey = env.EDGE_VERIFY_API_KEY ?? "ev_dev_local_only_key";
const port = Number(env.PORT ?? 3000);
const hostname = env.HOST ?? "127.0.0.1";

// maxRetryAfterSeconds 0: a cooldown goes straight to the page's countdown instead of holding the
// user's request open while the client waits it out; outages and lost answers are still retried.
const verify = createVerifyClient({ baseUrl, apiKey, timeoutMs: 10_000, retry: { maxRetryAfterSeconds: 0 } });
const app = createApp({
  verify,
  maxCheckAttempts: Number(env.MAX_CHECK_ATTEMPTS ?? 5),
  trustProxy: env.TRUST_PROXY === "1",
  secureCookies: env.SECURE_COOKIES === "1",
  remoteAddress: (c) => getConnInfo(c).remote.address ?? "",
});

const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  // The test reads this line to learn the port when PORT=0.
  console.log(`signup-2fa example on http://${hostname}:${info.port} (edge-verify at ${baseUrl})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
