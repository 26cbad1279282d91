// GET /playground: a page that drives the real REST API from the browser, with the dev outbox as
// the developer's "phone". Served only in local development: in production it answers like an
// unknown route, so no deployed Worker invites anyone to paste a live API key into a web page.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { DEV_API_KEY, loadConfig } from "../config.ts";
import { devOutboxEnabled } from "../rest/dev-outbox.ts";
import { fromAssets } from "../static-assets.ts";
import { PLAYGROUND_CSS } from "./styles.ts";

// Everything the page loads comes from this Worker; inline script and style are not allowed.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

interface PageProps {
  apiKey: string;
  outbox: boolean;
  maxCheckAttempts: number;
}

function Page({ apiKey, outbox, maxCheckAttempts }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>edge-verify playground</title>
        <link rel="stylesheet" href="/playground/playground.css" />
        <script type="module" src="/playground/playground.js"></script>
      </head>
      <body>
        <main id="app" data-outbox={outbox ? "on" : "off"} data-max-attempts={String(maxCheckAttempts)}>
          <header>
            <h1>edge-verify playground</h1>
            <p>
              Each button calls this Worker's REST API (<code>/v1/verifications</code>) with your API key, exactly as your
              backend would. {outbox ? "Messages go to the console provider: they show up in the dev outbox, not on a phone." : ""}
            </p>
          </header>
          {/* Reading order: send, the message arrives, check, the outcome. The grid puts the outbox beside
              the flow on a desktop; on a phone it sits right under "Send code". */}
          <div class="columns">
            <section aria-labelledby="h-start" class="send">
              <h2 id="h-start">1. Send a code</h2>
              <form id="start-form">
                <label for="api-key">API key</label>
                <input id="api-key" name="apiKey" type="password" autocomplete="off" spellcheck={false} value={apiKey} required />
                <p class="hint">Sent as <code>Authorization: Bearer …</code>. Kept in this tab only, never in the address.</p>
                <label for="phone">Phone number</label>
                <input id="phone" name="to" type="tel" autocomplete="off" value="+14155552671" placeholder="+14155552671" required />
                <p class="hint">With a + and country code, e.g. +44 7400 123456.</p>
                <button id="start" type="submit">Send code</button>
                <p id="cooldown" class="cooldown" role="timer" hidden></p>
              </form>
            </section>

            {outbox ? (
              <section aria-labelledby="h-outbox" class="outbox">
                <h2 id="h-outbox">Dev outbox</h2>
                <p class="hint">
                  What the console provider “sent”, newest first (<code>GET /v1/dev/outbox</code>, refreshed every second). Only
                  in development with the console provider.
                </p>
                <p id="outbox-state" aria-live="polite"></p>
                {/* Focusable so the keyboard can scroll it when it overflows. */}
                <ol id="outbox" aria-label="Messages" tabindex={0}></ol>
              </section>
            ) : (
              <section aria-labelledby="h-outbox" class="outbox">
                <h2 id="h-outbox">Messages</h2>
                <p>This deployment sends real SMS: the code arrives on the phone you entered.</p>
              </section>
            )}

            <section aria-labelledby="h-check" class="check">
              <h2 id="h-check">2. Check the code</h2>
              <form id="check-form">
                <label for="code">Code from the message</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength={10} required />
                <div class="row">
                  <button id="check" type="submit">Check code</button>
                  <button id="cancel" type="button" class="secondary" disabled>Cancel verification</button>
                  <button id="refresh" type="button" class="secondary" disabled>Refresh status</button>
                </div>
              </form>
            </section>

            <section aria-labelledby="h-status" class="state">
              <h2 id="h-status">Status</h2>
              <p id="status" class="status" data-status="none">
                <span class="badge">no verification yet</span>
              </p>
              <p id="explain" aria-live="polite">Type a phone number and press “Send code”.</p>
              <dl id="facts" hidden>
                <dt>Verification</dt>
                <dd id="fact-id"></dd>
                <dt>Expires</dt>
                <dd id="fact-expires"></dd>
                <dt>Attempts left</dt>
                <dd id="fact-attempts"></dd>
                <dt>Codes sent</dt>
                <dd id="fact-sends"></dd>
              </dl>
              <details>
                <summary>Last API call</summary>
                <pre id="last-call">none yet</pre>
              </details>
            </section>
          </div>
        </main>
      </body>
    </html>
  );
}

export function playgroundRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // Before any config is loaded: a production Worker, configured or not, has no playground.
  routes.use("/playground/*", async (c, next) => (c.env.ENVIRONMENT === "development" ? next() : c.notFound()));
  routes.use("/playground", async (c, next) => (c.env.ENVIRONMENT === "development" ? next() : c.notFound()));

  routes.get("/playground", (c) => {
    const config = loadConfig(c.env);
    const apiKey = config.apiKeys.includes(DEV_API_KEY) ? DEV_API_KEY : "";
    const page = <Page apiKey={apiKey} outbox={devOutboxEnabled(config)} maxCheckAttempts={config.maxCheckAttempts} />;
    return c.html(`<!doctype html>${page}`, 200, SECURITY_HEADERS);
  });
  // src/browser/playground.ts as built into dist/assets: wrangler.toml's run_worker_first sends
  // /playground/* here first, so the guard above hides it in production like the page.
  routes.get("/playground/playground.js", fromAssets);
  routes.get("/playground/playground.css", (c) => c.body(PLAYGROUND_CSS, 200, { ...SECURITY_HEADERS, "content-type": "text/css; charset=utf-8" }));
  return routes;
}
