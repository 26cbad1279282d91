// GET /console: the admin console, a static page whose script (src/browser/console.ts, a static
// asset) calls the admin API with the admin token the operator types (kept in the tab's
// sessionStorage, never in a URL or a cookie). The page itself holds no data and needs no
// credential; every action is an admin API call scripts can make.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { BUILT_IN_TEMPLATES } from "../core/locales.ts";
import { RULE_NAMES } from "../core/policy.ts";
import { fromAssets } from "../static-assets.ts";
import { CONSOLE_CSS } from "./styles.ts";

// Everything the page loads comes from this Worker; inline script and style are not allowed.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

const TABS = [
  ["insights", "Insights"],
  ["verifications", "Verifications"],
  ["keys", "API keys"],
  ["templates", "Templates"],
  ["rules", "Rules"],
  ["settings", "Settings"],
] as const;

const LIMITS = [
  ["sendsPer10Minutes", "Codes per number per 10 minutes"],
  ["sendsPerDay", "Codes per number per day"],
  ["failedChecksPerDay", "Wrong codes per number per day"],
  ["ipStartsPerHour", "Starts per client IP per hour"],
  ["rangeSendsPerHour", "Codes per number range per hour"],
  ["countrySendsPerHour", "Codes per country per hour"],
  ["smsDailyLimit", "This service's daily SMS budget"],
] as const;

const STATUSES = ["pending", "approved", "canceled", "expired", "max_attempts_reached", "failed"];

/** A header cell; `{ hidden }` is read by screen readers only (a column of buttons). */
type Column = string | { hidden: string };

interface DataTableProps {
  id: string;
  /** The table's name: a label, or the id of the heading that names it. */
  name: { label: string } | { labelledBy: string };
  columns: readonly Column[];
}

/** A scrollable table whose body the script fills (src/browser/table.ts, fillTable). */
function DataTable({ id, name, columns }: DataTableProps) {
  const naming = "label" in name ? { "aria-label": name.label } : { "aria-labelledby": name.labelledBy };
  return (
    <div class="table-wrap" tabindex={0} role="region" {...naming}>
      <table id={id}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col">{typeof column === "string" ? column : <span class="sr-only">{column.hidden}</span>}</th>
            ))}
          </tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
  );
}

function Page() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>edge-verify console</title>
        <link rel="stylesheet" href="/console/console.css" />
        <script type="module" src="/console/console.js"></script>
      </head>
      <body>
        <main id="app" data-locales={Object.keys(BUILT_IN_TEMPLATES).sort().join(",")} data-rules={RULE_NAMES.join(",")}>
          <header class="top">
            <h1>edge-verify console</h1>
            <button id="sign-out" type="button" class="secondary" hidden>
              Sign out
            </button>
          </header>
          <p id="notice" role="status" aria-live="polite"></p>

          <section id="signin" aria-labelledby="h-signin">
            <h2 id="h-signin">Sign in</h2>
            <form id="signin-form">
              <label for="admin-token">Admin token</label>
              <input id="admin-token" name="token" type="password" autocomplete="off" spellcheck={false} required />
              <p class="hint">
                The Worker's <code>ADMIN_TOKEN</code>. Sent as <code>Authorization: Bearer …</code> to the admin API; kept in this
                tab only (sessionStorage), never in the address.
              </p>
              <button type="submit">Sign in</button>
            </form>
          </section>

          <div id="workspace" hidden>
            <section aria-labelledby="h-services" class="services">
              <h2 id="h-services">Services</h2>
              <div class="service-bar">
                <div>
                  <label for="service">Service</label>
                  <select id="service"></select>
                </div>
                <form id="create-service-form" class="inline">
                  <div>
                    <label for="new-service-name">New service name</label>
                    <input id="new-service-name" maxlength={64} required />
                  </div>
                  <button type="submit">Create service</button>
                </form>
              </div>
              <p id="service-facts" class="hint"></p>
            </section>

            <nav aria-label="Console sections" class="tabs" id="tabs">
              {TABS.map(([id, label], i) => (
                <button type="button" id={`tab-${id}`} data-tab={id} aria-controls={`panel-${id}`} aria-pressed={i === 0 ? "true" : "false"}>
                  {label}
                </button>
              ))}
            </nav>

            <section id="panel-insights" aria-labelledby="h-insights" class="panel">
              <div class="panel-head">
                <h2 id="h-insights">Insights</h2>
                <div>
                  <label for="days">Period</label>
                  <select id="days">
                    <option value="7">Last 7 days</option>
                    <option value="14" selected>
                      Last 14 days
                    </option>
                    <option value="30">Last 30 days</option>
                  </select>
                </div>
                <button id="refresh-insights" type="button" class="secondary">
                  Refresh
                </button>
              </div>
              <p id="period-note" class="hint"></p>
              <dl id="totals" class="totals"></dl>
              <div class="charts">
                <figure id="chart-daily" class="chart"></figure>
                <figure id="chart-median" class="chart"></figure>
                <figure id="chart-country" class="chart"></figure>
                <figure id="chart-provider" class="chart"></figure>
                <figure id="chart-rules" class="chart"></figure>
                <figure id="chart-lookups" class="chart"></figure>
              </div>
              <h3 id="h-blocked-scopes">Scopes blocked now (conversion guard)</h3>
              <DataTable
                id="blocked-scopes"
                name={{ labelledBy: "h-blocked-scopes" }}
                columns={["Scope", "Mode", "Starts in the hour", "Approvals", "Until"]}
              />
              <p class="hint">
                Aggregated as events happen, by the day each verification started; kept for <code>RETENTION_DAYS</code>. Numbers
                are masked; codes are never recorded.
              </p>
            </section>

            <section id="panel-verifications" aria-labelledby="h-verifications" class="panel" hidden>
              <h2 id="h-verifications">Recent verifications</h2>
              <form id="filter-form" class="inline">
                <div>
                  <label for="filter-status">Status</label>
                  <select id="filter-status">
                    <option value="">Any</option>
                    {STATUSES.map((s) => (
                      <option value={s}>{s}</option>
                    ))}
                  </select>
                </div>
                <div>
                  <label for="filter-country">Country</label>
                  <input id="filter-country" maxlength={2} placeholder="US" autocomplete="off" class="short" />
                </div>
                <button type="submit">Filter</button>
              </form>
              <DataTable
                id="verifications"
                name={{ label: "Recent verifications" }}
                columns={["Number", "Country", "Status", "Delivery", "Provider", "Attempts", "Updated"]}
              />
            </section>

            <section id="panel-keys" aria-labelledby="h-keys" class="panel" hidden>
              <h2 id="h-keys">API keys</h2>
              <form id="create-key-form" class="inline">
                <div>
                  <label for="key-name">Key name</label>
                  <input id="key-name" maxlength={64} placeholder="backend" required />
                </div>
                <button type="submit">Create key</button>
              </form>
              <div id="new-key" class="secret" hidden>
                <p>
                  <strong>Copy this key now: it is shown once.</strong> Only its digest is stored.
                </p>
                <label for="new-key-secret">New API key</label>
                <div class="copy-row">
                  <input id="new-key-secret" readonly spellcheck={false} />
                  <button id="copy-key" type="button">
                    Copy
                  </button>
                </div>
                <button id="dismiss-key" type="button" class="secondary">
                  I have copied it
                </button>
              </div>
              <DataTable
                id="keys"
                name={{ label: "API keys" }}
                columns={["Name", "Key", "Created", "Last used", "State", { hidden: "Actions" }]}
              />
            </section>

            <section id="panel-templates" aria-labelledby="h-templates" class="panel" hidden>
              <h2 id="h-templates">Message templates</h2>
              <form id="template-form">
                <label for="template-locale">Locale</label>
                <select id="template-locale"></select>
                <label for="template-text">Template</label>
                <textarea id="template-text" rows={3} spellcheck={false}></textarea>
                <p class="hint">
                  <code>{"{{code}}"}</code> exactly once; <code>{"{{serviceName}}"}</code> and <code>{"{{ttlMinutes}}"}</code> are
                  optional. Previewed with a 10-digit code and a 30-character service name.
                </p>
                <div id="preview" class="preview" aria-live="polite">
                  <p class="bubble" id="preview-body"></p>
                  <p id="preview-facts"></p>
                  <p id="preview-error" class="error" hidden></p>
                </div>
                <div class="row">
                  <button id="save-template" type="submit">Save template</button>
                  <button id="reset-template" type="button" class="secondary">
                    Use the built-in text
                  </button>
                </div>
              </form>
            </section>

            <section id="panel-rules" aria-labelledby="h-rules" class="panel" hidden>
              <h2 id="h-rules">Abuse rules</h2>
              <form id="rules-form">
                <fieldset>
                  <legend>Rule modes</legend>
                  <p class="hint">Enforce refuses; monitor lets through and reports a risk; off skips. Default: the deployment's.</p>
                  <div id="rule-modes" class="grid"></div>
                </fieldset>
                <fieldset>
                  <legend>Limits</legend>
                  <p class="hint">Empty: the deployment's value.</p>
                  <div class="grid">
                    {LIMITS.map(([name, label]) => (
                      <div>
                        <label for={`limit-${name}`}>{label}</label>
                        <input id={`limit-${name}`} data-limit={name} type="number" min={1} inputmode="numeric" placeholder="default" />
                      </div>
                    ))}
                  </div>
                </fieldset>
                <button type="submit">Save rules</button>
              </form>
              <h3>Deny and allow lists</h3>
              <form id="list-form" class="inline">
                <div>
                  <label for="list-kind">List</label>
                  <select id="list-kind">
                    <option value="deny">Deny</option>
                    <option value="allow">Allow</option>
                  </select>
                </div>
                <div>
                  <label for="list-number">Phone number</label>
                  <input id="list-number" type="tel" placeholder="+14155552671" autocomplete="off" required />
                </div>
                <div>
                  <label for="list-note">Note</label>
                  <input id="list-note" maxlength={200} autocomplete="off" />
                </div>
                <button type="submit">Add</button>
              </form>
              <DataTable
                id="lists"
                name={{ label: "Deny and allow lists" }}
                columns={["List", "Number", "Note", "Added", { hidden: "Actions" }]}
              />
            </section>

            <section id="panel-settings" aria-labelledby="h-settings" class="panel" hidden>
              <h2 id="h-settings">Service settings</h2>
              <form id="rename-form" class="inline">
                <div>
                  <label for="service-name">Name</label>
                  <input id="service-name" maxlength={64} required />
                </div>
                <button type="submit">Rename</button>
              </form>
              <h3 id="h-webhook-signing">Webhook signing</h3>
              <form id="signing-form" class="inline" aria-labelledby="h-webhook-signing">
                <div>
                  <label for="webhook-signing">Signature scheme</label>
                  <select id="webhook-signing">
                    <option value="v1">v1: HMAC-SHA256, shared secret (whsec_)</option>
                    <option value="v1a">v1a: Ed25519, public key (whpk_)</option>
                  </select>
                </div>
                <button type="submit">Save scheme</button>
              </form>
              <label for="webhook-public-key">Public key for v1a receivers</label>
              <div class="copy-row">
                <input id="webhook-public-key" readonly spellcheck={false} />
                <button id="copy-public-key" type="button" aria-label="Copy the public key">
                  Copy
                </button>
              </div>
              <p class="hint">
                Receivers of <code>v1a</code> signatures verify with this key alone; the private key never leaves the Worker
                and is shown nowhere. A <code>v1</code> receiver needs the shared secret, <code>webhookSecret</code> in the admin
                API. After a change of scheme or a rotation, webhooks carry both signatures for 24 hours.
              </p>
              <div class="row">
                <button id="rotate-webhook-key" type="button" class="secondary">
                  Rotate signing key
                </button>
                <button id="confirm-rotate" type="button" class="danger-button" hidden>
                  Yes, rotate it
                </button>
              </div>
              <p id="rotation-note" class="hint" aria-live="polite"></p>
              <form id="codes-form" class="inline">
                <div>
                  <label for="accept-previous-codes">Earlier codes that still work after a resend</label>
                  <select id="accept-previous-codes">
                    {[0, 1, 2, 3].map((n) => (
                      <option value={String(n)}>{String(n)}</option>
                    ))}
                  </select>
                </div>
                <button type="submit">Save</button>
              </form>
              <p class="hint">SMS can arrive out of order. Each earlier code kept widens the guess space by one code; a wrong code is still one attempt.</p>
              <div class="danger">
                <p>Deleting a service revokes all its keys at once.</p>
                <button id="delete-service" type="button" class="danger-button">
                  Delete service
                </button>
                <button id="confirm-delete" type="button" class="danger-button" hidden>
                  Yes, delete it
                </button>
              </div>
            </section>
          </div>
        </main>
      </body>
    </html>
  );
}

export function consoleRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/console", (c) => c.html(`<!doctype html>${<Page />}`, 200, SECURITY_HEADERS));
  routes.get("/console/console.js", fromAssets);
  routes.get("/console/console.css", (c) => c.body(CONSOLE_CSS, 200, { ...SECURITY_HEADERS, "content-type": "text/css; charset=utf-8" }));
  return routes;
}
