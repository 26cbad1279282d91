// The admin console's script (/console/console.js, bundled by scripts/build-assets.mjs). Every
// action is an admin API call, the same ones scripts make. The admin token lives in memory and in
// this tab's sessionStorage only: never a URL, cookie or localStorage, so it goes when the tab closes.
import { callApi } from "./api.ts";
import { bars, columns } from "./charts.ts";
import { byId, clear, el } from "./dom.ts";
import { fillTable } from "./table.ts";
import type { ApiKey, InsightsReport, ListEntry, RecentVerification, RotatedWebhookKey, Service, TemplatePreview } from "./wire.ts";

const TOKEN_KEY = "edge-verify.console.adminToken";
const SERVICE_KEY = "edge-verify.console.service";

const app = byId("app", HTMLElement);
const LOCALES = (app.dataset.locales ?? "").split(",");
const RULES = (app.dataset.rules ?? "").split(",");

// The page's controls (src/console/routes.tsx).
const ui = {
  notice: byId("notice", HTMLElement),
  signin: byId("signin", HTMLElement),
  signinForm: byId("signin-form", HTMLFormElement),
  adminToken: byId("admin-token", HTMLInputElement),
  signOut: byId("sign-out", HTMLButtonElement),
  workspace: byId("workspace", HTMLElement),
  service: byId("service", HTMLSelectElement),
  serviceFacts: byId("service-facts", HTMLElement),
  createServiceForm: byId("create-service-form", HTMLFormElement),
  newServiceName: byId("new-service-name", HTMLInputElement),
  tabs: byId("tabs", HTMLElement),
  // Insights
  days: byId("days", HTMLSelectElement),
  refreshInsights: byId("refresh-insights", HTMLButtonElement),
  periodNote: byId("period-note", HTMLElement),
  totals: byId("totals", HTMLElement),
  chartDaily: byId("chart-daily", HTMLElement),
  chartMedian: byId("chart-median", HTMLElement),
  chartCountry: byId("chart-country", HTMLElement),
  chartProvider: byId("chart-provider", HTMLElement),
  chartRules: byId("chart-rules", HTMLElement),
  chartLookups: byId("chart-lookups", HTMLElement),
  blockedScopes: byId("blocked-scopes", HTMLTableElement),
  // Verifications
  filterForm: byId("filter-form", HTMLFormElement),
  filterStatus: byId("filter-status", HTMLSelectElement),
  filterCountry: byId("filter-country", HTMLInputElement),
  verifications: byId("verifications", HTMLTableElement),
  // API keys
  createKeyForm: byId("create-key-form", HTMLFormElement),
  keyName: byId("key-name", HTMLInputElement),
  newKey: byId("new-key", HTMLElement),
  newKeySecret: byId("new-key-secret", HTMLInputElement),
  copyKey: byId("copy-key", HTMLButtonElement),
  dismissKey: byId("dismiss-key", HTMLButtonElement),
  keys: byId("keys", HTMLTableElement),
  // Templates
  templateForm: byId("template-form", HTMLFormElement),
  templateLocale: byId("template-locale", HTMLSelectElement),
  templateText: byId("template-text", HTMLTextAreaElement),
  preview: byId("preview", HTMLElement),
  previewBody: byId("preview-body", HTMLElement),
  previewFacts: byId("preview-facts", HTMLElement),
  previewError: byId("preview-error", HTMLElement),
  saveTemplate: byId("save-template", HTMLButtonElement),
  resetTemplate: byId("reset-template", HTMLButtonElement),
  // Rules and lists
  rulesForm: byId("rules-form", HTMLFormElement),
  ruleModes: byId("rule-modes", HTMLElement),
  listForm: byId("list-form", HTMLFormElement),
  listKind: byId("list-kind", HTMLSelectElement),
  listNumber: byId("list-number", HTMLInputElement),
  listNote: byId("list-note", HTMLInputElement),
  lists: byId("lists", HTMLTableElement),
  // Settings
  renameForm: byId("rename-form", HTMLFormElement),
  serviceName: byId("service-name", HTMLInputElement),
  signingForm: byId("signing-form", HTMLFormElement),
  webhookSigning: byId("webhook-signing", HTMLSelectElement),
  webhookPublicKey: byId("webhook-public-key", HTMLInputElement),
  copyPublicKey: byId("copy-public-key", HTMLButtonElement),
  rotateWebhookKey: byId("rotate-webhook-key", HTMLButtonElement),
  confirmRotate: byId("confirm-rotate", HTMLButtonElement),
  rotationNote: byId("rotation-note", HTMLElement),
  codesForm: byId("codes-form", HTMLFormElement),
  acceptPreviousCodes: byId("accept-previous-codes", HTMLSelectElement),
  deleteService: byId("delete-service", HTMLButtonElement),
  confirmDelete: byId("confirm-delete", HTMLButtonElement),
};

type Tab = "insights" | "verifications" | "keys" | "templates" | "rules" | "settings";

let token = sessionStorage.getItem(TOKEN_KEY) || "";
let services: Service[] = [];
let service: Service | null = null; // the selected service (admin API view)
let tab: Tab = "insights";
let lastInsights: InsightsReport | null = null;
let previewSeq = 0;
let previewTimer: ReturnType<typeof setTimeout> | undefined;

function notice(text: string, tone: "info" | "good" | "bad" = "info"): void {
  ui.notice.textContent = text;
  ui.notice.dataset.tone = tone;
}

/** The admin API: a 401 signs out; any other refusal is shown and thrown. */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let result;
  try {
    result = await callApi<T>({ token, method, path, body });
  } catch (error) {
    notice("Could not reach the Worker.", "bad");
    throw error;
  }
  if (result.status === 401) {
    signOut("The admin token was refused. Sign in again.");
    throw new Error("unauthenticated");
  }
  if (!result.ok) {
    const message = result.data?.message || `HTTP ${result.status}`;
    notice(message, "bad");
    throw new Error(message);
  }
  return result.data;
}

/** For event handlers: the failure is on screen already (api's notice). */
function quietly(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

function selected(): Service {
  if (!service) throw new Error("no service selected");
  return service;
}

const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : "—");
const percent = (x: number | null | undefined): string => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
const seconds = (s: number | null | undefined): string =>
  s === null || s === undefined ? "—" : s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
const svcPath = (suffix = ""): string => `/v1/services/${encodeURIComponent(selected().id)}${suffix}`;

// ---- sign in / out ---------------------------------------------------------------------------
function signOut(message?: string): void {
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  service = null;
  ui.workspace.hidden = true;
  ui.signin.hidden = false;
  ui.signOut.hidden = true;
  hideSecret();
  notice(message || "Signed out.", message ? "bad" : "info");
  ui.adminToken.focus();
}

async function enter(): Promise<void> {
  const data = await api<{ services: Service[] }>("GET", "/v1/services");
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.adminToken.value = "";
  ui.signin.hidden = true;
  ui.workspace.hidden = false;
  ui.signOut.hidden = false;
  services = data.services;
  renderServices(sessionStorage.getItem(SERVICE_KEY));
}

ui.signinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  token = ui.adminToken.value.trim();
  notice("");
  enter()
    .then(() => ui.service.focus())
    .catch(() => {});
});
ui.signOut.addEventListener("click", () => signOut());

// ---- services ----------------------------------------------------------------------------------
function renderServices(selectId: string | null): void {
  clear(ui.service);
  for (const s of services) ui.service.appendChild(el("option", { value: s.id, text: s.friendlyName + (s.builtIn ? " (built-in)" : "") }));
  const chosen = services.find((s) => s.id === selectId) || services[0];
  if (chosen) ui.service.value = chosen.id;
  selectService(chosen ? chosen.id : null);
}

function selectService(id: string | null): void {
  service = services.find((s) => s.id === id) || null;
  hideSecret();
  if (!service) return;
  sessionStorage.setItem(SERVICE_KEY, service.id);
  ui.serviceFacts.textContent = `Id ${service.id} · created ${when(service.createTime)}`;
  ui.serviceName.value = service.friendlyName;
  ui.acceptPreviousCodes.value = String(service.settings?.acceptPreviousCodes ?? 0);
  ui.deleteService.hidden = service.builtIn;
  ui.confirmDelete.hidden = true;
  ui.webhookSigning.value = service.settings?.webhookSigning || "v1";
  ui.webhookPublicKey.value = service.webhookPublicKey;
  ui.copyPublicKey.textContent = "Copy";
  ui.confirmRotate.hidden = true;
  ui.rotationNote.textContent = "";
  fillTemplateLocales();
  fillRules();
  showTab(tab);
}

ui.service.addEventListener("change", () => selectService(ui.service.value));

ui.createServiceForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const created = await api<Service>("POST", "/v1/services", { friendlyName: ui.newServiceName.value.trim() });
  ui.newServiceName.value = "";
  services.push(created);
  renderServices(created.id);
  notice(`Service ${created.friendlyName} created.`, "good");
});

function replaceService(updated: Service): void {
  services = services.map((s) => (s.id === updated.id ? updated : s));
  const keepTab = tab;
  renderServices(updated.id);
  tab = keepTab;
}

ui.renameForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const updated = await api<Service>("PATCH", svcPath(), { friendlyName: ui.serviceName.value.trim() });
  replaceService(updated);
  notice(`Renamed to ${updated.friendlyName}.`, "good");
});

// ---- webhook signing ---------------------------------------------------------------------------
ui.signingForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const scheme = ui.webhookSigning.value;
  const before = selected().settings?.webhookSigning || "v1";
  const updated = await api<Service>("PATCH", svcPath(), { webhookSigning: scheme });
  replaceService(updated);
  notice(
    scheme === before
      ? `Webhooks stay signed ${scheme}.`
      : `Webhooks are signed ${scheme} now; ${before} signatures go on next to them for 24 hours.`,
    "good",
  );
});

ui.copyPublicKey.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(ui.webhookPublicKey.value);
  } catch {
    ui.webhookPublicKey.select();
    document.execCommand("copy");
  }
  ui.copyPublicKey.textContent = "Copied";
});

ui.rotateWebhookKey.addEventListener("click", () => {
  ui.confirmRotate.hidden = false;
  ui.confirmRotate.focus();
});
ui.confirmRotate.addEventListener("click", async () => {
  const rotated = await api<RotatedWebhookKey>("POST", svcPath("/rotate-webhook-key"));
  replaceService(rotated.service);
  const scheme = rotated.service.settings?.webhookSigning || "v1";
  const until = when(rotated.previousKeyExpireTime);
  ui.rotationNote.textContent =
    scheme === "v1a"
      ? `New public key above. The previous key also signs until ${until}.`
      : `New webhookSecret (admin API). The previous secret also signs until ${until}.`;
  notice(`Signing key rotated; the previous one also signs until ${until}.`, "good");
});

ui.codesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const updated = await api<Service>("PATCH", svcPath(), { acceptPreviousCodes: Number(ui.acceptPreviousCodes.value) });
  replaceService(updated);
  notice(`Earlier codes kept after a resend: ${ui.acceptPreviousCodes.value}.`, "good");
});

ui.deleteService.addEventListener("click", () => {
  ui.confirmDelete.hidden = false;
  ui.confirmDelete.focus();
});
ui.confirmDelete.addEventListener("click", async () => {
  const gone = selected();
  await api<null>("DELETE", svcPath());
  services = services.filter((s) => s.id !== gone.id);
  renderServices(null);
  notice(`Service ${gone.friendlyName} deleted; its keys no longer work.`, "good");
});

// ---- tabs --------------------------------------------------------------------------------------
const LOADERS: Record<Tab, () => Promise<void>> = {
  insights: () => loadInsights(),
  verifications: () => loadVerifications(),
  keys: () => loadKeys(),
  templates: () => loadTemplate(),
  rules: () => loadLists(),
  settings: () => Promise.resolve(),
};

const tabButtons = [...ui.tabs.querySelectorAll<HTMLButtonElement>("button")];

function showTab(name: Tab): void {
  tab = name;
  for (const button of tabButtons) {
    const on = button.dataset.tab === name;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    byId(`panel-${button.dataset.tab}`, HTMLElement).hidden = !on;
  }
  if (service) quietly(LOADERS[name]());
}

for (const button of tabButtons) button.addEventListener("click", () => showTab(button.dataset.tab as Tab));

// ---- API keys ----------------------------------------------------------------------------------
function hideSecret(): void {
  ui.newKey.hidden = true;
  ui.newKeySecret.value = "";
  ui.copyKey.textContent = "Copy";
}

async function loadKeys(): Promise<void> {
  const data = await api<{ keys: ApiKey[] }>("GET", svcPath("/keys"));
  const rows = data.keys.map((key) => {
    const name = key.name || key.maskedKey;
    let revoke: HTMLButtonElement | null = null;
    if (!key.revokeTime) {
      const button = el("button", { type: "button", className: "secondary small", text: "Revoke", "aria-label": `Revoke key ${name}` });
      button.addEventListener("click", async () => {
        if (button.dataset.armed !== "yes") {
          button.dataset.armed = "yes";
          button.textContent = "Confirm revoke";
          button.setAttribute("aria-label", `Confirm: revoke key ${name}`);
          button.className = "danger-button small";
          return;
        }
        await api<ApiKey>("DELETE", svcPath(`/keys/${encodeURIComponent(key.id)}`));
        notice(`Key ${name} revoked.`, "good");
        await loadKeys();
      });
      revoke = button;
    }
    return el("tr", { "data-key": key.id }, [
      el("td", { text: key.name || "—" }),
      el("td", {}, [el("code", { text: key.maskedKey })]),
      el("td", { text: when(key.createTime) }),
      el("td", { text: when(key.lastUsedTime) }),
      el("td", { className: key.revokeTime ? "state-bad" : "state-good", text: key.revokeTime ? `revoked ${when(key.revokeTime)}` : "active" }),
      el("td", {}, [revoke]),
    ]);
  });
  fillTable(ui.keys, rows, "No keys yet.");
}

ui.createKeyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const created = await api<ApiKey & { secret: string }>("POST", svcPath("/keys"), { name: ui.keyName.value.trim() });
  ui.keyName.value = "";
  ui.newKeySecret.value = created.secret;
  ui.newKey.hidden = false;
  ui.newKeySecret.focus();
  ui.newKeySecret.select();
  await loadKeys();
});

ui.copyKey.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(ui.newKeySecret.value);
  } catch {
    ui.newKeySecret.select();
    document.execCommand("copy");
  }
  ui.copyKey.textContent = "Copied";
});
ui.dismissKey.addEventListener("click", () => {
  hideSecret();
  ui.keyName.focus();
});

// ---- templates ---------------------------------------------------------------------------------
const customTemplates = (): Record<string, string> => selected().settings?.templates || {};

function fillTemplateLocales(): void {
  const select = ui.templateLocale;
  const current = select.value || "en";
  clear(select);
  const custom = customTemplates();
  const all = LOCALES.concat(Object.keys(custom).filter((l) => !LOCALES.includes(l))).sort();
  for (const locale of all) select.appendChild(el("option", { value: locale, text: locale + (custom[locale] ? " (custom)" : "") }));
  select.value = all.includes(current) ? current : "en";
}

async function loadTemplate(): Promise<void> {
  const custom = customTemplates()[ui.templateLocale.value];
  if (custom !== undefined) ui.templateText.value = custom;
  const result = await preview(custom === undefined ? null : custom);
  // Null when the operator typed meanwhile: their text wins over the built-in one.
  if (result && custom === undefined) ui.templateText.value = result.template;
}

async function preview(template: string | null): Promise<TemplatePreview | null> {
  const seq = ++previewSeq;
  const result = await api<TemplatePreview>("POST", svcPath("/template-preview"), { locale: ui.templateLocale.value, template });
  if (seq !== previewSeq) return null; // a newer keystroke's preview is on its way
  ui.previewBody.textContent = result.body || "(nothing to send)";
  ui.previewBody.dir = result.direction;
  const plural = (n: number) => `segment${n === 1 ? "" : "s"}`;
  let facts = result.encoding
    ? `${result.encoding} · ${result.segments} ${plural(result.segments)} · ${result.units} ` +
      `${result.encoding === "GSM-7" ? "septets" : "UTF-16 units"} (one segment holds ${result.encoding === "GSM-7" ? 160 : 70})`
    : "";
  if (result.worstCase) facts += `. Worst case with the costliest 30-character name: ${result.worstCase.segments} ${plural(result.worstCase.segments)}.`;
  ui.previewFacts.textContent = facts;
  ui.preview.dataset.encoding = result.encoding || "none";
  ui.previewError.hidden = !result.error;
  ui.previewError.textContent = result.error ? `Saving would be refused: ${result.error.message}` : "";
  ui.saveTemplate.disabled = !!result.error;
  return result;
}

ui.templateLocale.addEventListener("change", () => quietly(loadTemplate()));
ui.templateText.addEventListener("input", () => {
  previewSeq++; // whatever preview is in flight is for older text
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => quietly(preview(ui.templateText.value)), 150);
});

async function saveTemplates(templates: Record<string, string>): Promise<void> {
  const updated = await api<Service>("PATCH", svcPath(), { templates: Object.keys(templates).length ? templates : null });
  replaceService(updated);
}

ui.templateForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const locale = ui.templateLocale.value;
  const templates = { ...customTemplates(), [locale]: ui.templateText.value };
  await saveTemplates(templates);
  notice(`Template for ${locale} saved.`, "good");
});
ui.resetTemplate.addEventListener("click", async () => {
  const locale = ui.templateLocale.value;
  const templates = { ...customTemplates() };
  delete templates[locale];
  await saveTemplates(templates);
  notice(`Template for ${locale} is the built-in text again.`, "good");
});

// ---- rules and lists ---------------------------------------------------------------------------
const limitInputs = (): HTMLInputElement[] => [...document.querySelectorAll<HTMLInputElement>("[data-limit]")];

function fillRules(): void {
  clear(ui.ruleModes);
  const settings = selected().settings;
  const modes = settings?.ruleModes || {};
  for (const rule of RULES) {
    const select = el("select", { id: `rule-${rule}`, "data-rule": rule }, [
      el("option", { value: "", text: "default" }),
      el("option", { value: "enforce", text: "enforce" }),
      el("option", { value: "monitor", text: "monitor" }),
      el("option", { value: "off", text: "off" }),
    ]);
    select.value = modes[rule] || "";
    ui.ruleModes.appendChild(el("div", {}, [el("label", { for: `rule-${rule}`, text: rule.replace(/_/g, " ") }), select]));
  }
  const limits = settings?.limits || {};
  for (const input of limitInputs()) {
    const value = limits[input.dataset.limit ?? ""];
    input.value = value === undefined ? "" : String(value);
  }
}

ui.rulesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const modes: Record<string, string> = {};
  for (const select of document.querySelectorAll<HTMLSelectElement>("select[data-rule]")) if (select.value) modes[select.dataset.rule ?? ""] = select.value;
  const limits: Record<string, number> = {};
  for (const input of limitInputs()) if (input.value !== "") limits[input.dataset.limit ?? ""] = Number(input.value);
  const updated = await api<Service>("PATCH", svcPath(), {
    ruleModes: Object.keys(modes).length ? modes : null,
    limits: Object.keys(limits).length ? limits : null,
  });
  replaceService(updated);
  notice("Rules saved.", "good");
});

async function loadLists(): Promise<void> {
  const list = (name: string) => api<{ entries: ListEntry[] }>("GET", svcPath(`/lists/${name}?pageSize=200`));
  const [deny, allow] = await Promise.all([list("deny"), list("allow")]);
  const entries = [...deny.entries, ...allow.entries];
  const rows = entries.map((entry) => {
    const remove = el("button", {
      type: "button",
      className: "secondary small",
      text: "Remove",
      "aria-label": `Remove ${entry.phoneNumber} from the ${entry.list} list`,
    });
    remove.addEventListener("click", async () => {
      await api<null>("DELETE", svcPath(`/lists/${entry.list}/${encodeURIComponent(entry.phoneNumber)}`));
      notice(`${entry.phoneNumber} removed from the ${entry.list} list.`, "good");
      await loadLists();
    });
    return el("tr", {}, [
      // Entries made from delivery reports say so, with the reason (unsubscribed, deactivated, undeliverable).
      el("td", { text: entry.reason ? `${entry.list} · ${entry.reason} (delivery reports)` : entry.list }),
      el("td", { text: entry.phoneNumber }),
      el("td", { text: entry.note || "—" }),
      el("td", { text: when(entry.createTime) }),
      el("td", {}, [remove]),
    ]);
  });
  fillTable(ui.lists, rows, "Both lists are empty.");
}

ui.listForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const list = ui.listKind.value;
  const entry = await api<ListEntry>("PUT", svcPath(`/lists/${list}/${encodeURIComponent(ui.listNumber.value.trim())}`), { note: ui.listNote.value });
  ui.listNumber.value = "";
  ui.listNote.value = "";
  notice(`${entry.phoneNumber} is on the ${list} list.`, "good");
  await loadLists();
});

// ---- recent verifications ----------------------------------------------------------------------
async function loadVerifications(): Promise<void> {
  const query = new URLSearchParams();
  if (ui.filterStatus.value) query.set("status", ui.filterStatus.value);
  if (ui.filterCountry.value.trim()) query.set("country", ui.filterCountry.value.trim().toUpperCase());
  const data = await api<{ verifications: RecentVerification[] }>("GET", svcPath(`/verifications?${query.toString()}`));
  const rows = data.verifications.map((v) =>
    el("tr", {}, [
      el("td", {}, [el("code", { text: v.maskedTo })]),
      el("td", { text: v.country }),
      el("td", {}, [el("span", { className: "badge", "data-status": v.status, text: v.status })]),
      el("td", { text: v.delivery || "—" }),
      el("td", { text: v.provider || "—" }),
      el("td", { text: `${v.sendAttempts} sent · ${v.checkAttempts} wrong` }),
      el("td", { text: when(v.updateTime) }),
    ]),
  );
  fillTable(ui.verifications, rows, "No verifications match.");
}

ui.filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  quietly(loadVerifications());
});

// ---- insights ----------------------------------------------------------------------------------
async function loadInsights(): Promise<void> {
  lastInsights = await api<InsightsReport>("GET", svcPath(`/insights?days=${ui.days.value}`));
  drawInsights();
}
ui.days.addEventListener("change", () => quietly(loadInsights()));
ui.refreshInsights.addEventListener("click", () => quietly(loadInsights()));

function drawInsights(): void {
  const r = lastInsights;
  if (!r) return;
  const asked = Number(ui.days.value);
  ui.periodNote.textContent = r.days.length < asked ? `Showing ${r.days.length} days: the deployment keeps ${r.days.length} (RETENTION_DAYS).` : "";
  clear(ui.totals);
  const totals: [string, string][] = [
    ["Started", String(r.totals.started)],
    ["Approved", String(r.totals.approved)],
    ["Conversion", percent(r.totals.conversion)],
    ["Median time to approve", seconds(r.totals.medianSecondsToApprove)],
    ["SMS sent", String(r.totals.sent)],
    ["Blocked by rules", String(r.totals.blocked)],
  ];
  for (const [term, value] of totals) ui.totals.appendChild(el("div", { className: "total" }, [el("dt", { text: term }), el("dd", { text: value })]));
  columns(
    ui.chartDaily,
    "Started and approved per day",
    r.byDay,
    [
      { key: "started", name: "started", cls: "s1" },
      { key: "approved", name: "approved", cls: "s2" },
    ],
    (d) => (d.started ? percent(d.conversion) : ""),
  );
  columns(
    ui.chartMedian,
    "Median time to approval per day (seconds)",
    r.byDay,
    [{ key: "medianSecondsToApprove", name: "median seconds", cls: "s3" }],
    (d) => (d.medianSecondsToApprove === null ? "" : `${d.medianSecondsToApprove} s`),
  );
  bars(
    ui.chartCountry,
    "Conversion by country (approved / started)",
    r.byCountry.slice(0, 12).map((c) => ({ label: c.country, value: c.started, part: c.approved, text: `${c.approved}/${c.started} · ${percent(c.conversion)}` })),
    "s1",
    "s2",
  );
  bars(
    ui.chartProvider,
    "SMS sent per provider",
    r.byProvider.map((p) => ({
      label: p.provider,
      value: p.sent + p.failed,
      part: p.sent,
      text: `${p.sent} sent` + (p.failed ? ` · ${p.failed} failed` : "") + (p.delivered ? ` · ${p.delivered} delivered` : ""),
    })),
    "s4",
    "s3",
  );
  bars(
    ui.chartRules,
    "Blocks per rule (and monitor-mode hits)",
    r.byRule.map((b) => ({
      label: b.rule.replace(/_/g, " "),
      value: b.blocked + b.flagged,
      part: b.blocked,
      text: `${b.blocked} blocked` + (b.flagged ? ` · ${b.flagged} flagged` : ""),
    })),
    "s4",
    "s5",
  );
  bars(
    ui.chartLookups,
    "Carrier lookups (paid, and answered from the cache)",
    r.byLookup.map((l) => ({
      label: l.source,
      value: l.fetched + l.cached + l.failed,
      part: l.fetched,
      text: `${l.fetched} paid · ${l.cached} cached` + (l.failed ? ` · ${l.failed} failed` : ""),
    })),
    "s1",
    "s2",
  );
  const rows = r.blockedScopes.map((b) =>
    el("tr", {}, [
      el("td", { text: b.scope }),
      el("td", { text: b.mode === "enforce" ? "blocked" : "monitor (would block)" }),
      el("td", { text: `${b.starts} (minimum ${b.minStarts})` }),
      el("td", { text: `${b.approvals} · ${percent(b.starts ? b.approvals / b.starts : null)}` }),
      el("td", { text: when(new Date(b.blockedUntil).toISOString()) }),
    ]),
  );
  fillTable(ui.blockedScopes, rows, "No scope is blocked now.");
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawInsights, 100);
});

// ---- start -------------------------------------------------------------------------------------
if (token) quietly(enter());
else ui.adminToken.focus();
