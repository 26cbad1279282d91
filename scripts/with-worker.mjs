// Runs a command against the real Worker over HTTP on loopback: starts the fake Twilio API and
// `wrangler dev --env dev` (programmatic API, in-memory storage) with SMS routed to the fake, runs
//   <command> with EDGE_VERIFY_URL, FAKE_TWILIO_URL and EDGE_VERIFY_API_KEY set,
// then stops both and exits with the command's status. Usage: node scripts/with-worker.mjs cmd args…
// With --sms=console first, the Worker keeps env.dev's console provider, as `npm run dev` does:
// no fake, no FAKE_TWILIO_URL, and codes are read back from the dev outbox (GET /v1/dev/outbox).
import { spawn } from "node:child_process";
import { startFakeTwilio, FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../test/fakes/fake-twilio.mjs";

const consoleSms = process.argv[2] === "--sms=console";
const [command, ...args] = process.argv.slice(consoleSms ? 3 : 2);
if (!command) {
  console.error("usage: node scripts/with-worker.mjs [--sms=console] <command> [args…]");
  process.exit(2);
}
const DEADLINE_MS = 120_000;
// Nothing here may reach the internet: no Request.cf download, no telemetry.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
process.env.WRANGLER_SEND_METRICS ??= "false";
const { unstable_startWorker } = await import("wrangler");

const started = Date.now();
const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) await cleanups.pop()().catch((error) => console.error("cleanup:", error));
}

let status = 1;
try {
  const fake = consoleSms ? null : await startFakeTwilio();
  if (fake) cleanups.push(() => fake.close());
  const vars = fake
    ? {
        SMS_PROVIDER: "twilio",
        TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
        TWILIO_FROM: "+15005550006",
        TWILIO_API_BASE: fake.url,
      }
    : {};
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    env: "dev",
    bindings: Object.fromEntries(Object.entries(vars).map(([k, value]) => [k, { type: "plain_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false, watch: false, logLevel: "warn" },
  });
  cleanups.push(() => worker.dispose());
  await worker.ready;
  const url = (await worker.url).href.replace(/\/$/, "");
  console.error(`with-worker: worker on ${url}, ${fake ? `fake Twilio on ${fake.url}` : "SMS to the dev outbox"} (${Date.now() - started} ms)`);

  const env = { ...process.env, EDGE_VERIFY_URL: url, EDGE_VERIFY_API_KEY: "ev_dev_local_only_key" };
  if (fake) env.FAKE_TWILIO_URL = fake.url;
  else delete env.FAKE_TWILIO_URL;
  const child = spawn(command, args, { stdio: "inherit", env });
  const timer = setTimeout(() => {
    console.error(`with-worker: ${command} ran longer than ${DEADLINE_MS / 1000} s, stopping it`);
    child.kill("SIGTERM");
  }, DEADLINE_MS);
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => child.kill(signal));
  status = await new Promise((resolve) => {
    child.once("error", (error) => {
      console.error(`with-worker: cannot run ${command}: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  clearTimeout(timer);
} catch (error) {
  console.error("with-worker:", error);
} finally {
  await cleanup();
}
console.error(`with-worker: ${command} exited ${status} (${Date.now() - started} ms in all)`);
process.exit(status);
