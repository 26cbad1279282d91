// The playground's script (/playground/playground.js, bundled by scripts/build-assets.mjs). It
// calls only this Worker's REST API, exactly as a backend would, and explains each answer. The API
// key lives in this tab's sessionStorage only; it never goes into the URL.
import { callApi, type ApiResult } from "./api.ts";
import { byId, el, first } from "./dom.ts";
import type { ErrorBody, OutboxMessage, VerificationJson } from "./wire.ts";

const KEY_STORAGE = "edge-verify.playground.apiKey";

const app = byId("app", HTMLElement);
const maxAttempts = Number(app.dataset.maxAttempts || "5");
const outboxOn = app.dataset.outbox === "on";

// The page's controls (src/playground/routes.tsx).
const ui = {
  apiKey: byId("api-key", HTMLInputElement),
  phone: byId("phone", HTMLInputElement),
  startForm: byId("start-form", HTMLFormElement),
  start: byId("start", HTMLButtonElement),
  cooldown: byId("cooldown", HTMLElement),
  checkForm: byId("check-form", HTMLFormElement),
  code: byId("code", HTMLInputElement),
  cancel: byId("cancel", HTMLButtonElement),
  refresh: byId("refresh", HTMLButtonElement),
  status: byId("status", HTMLElement),
  explain: byId("explain", HTMLElement),
  facts: byId("facts", HTMLElement),
  factId: byId("fact-id", HTMLElement),
  factExpires: byId("fact-expires", HTMLElement),
  factAttempts: byId("fact-attempts", HTMLElement),
  factSends: byId("fact-sends", HTMLElement),
  lastCall: byId("last-call", HTMLElement),
};
const statusBadge = first(ui.status, ".badge", HTMLElement);

let current: VerificationJson | null = null; // the verification last returned by the API
let cooldownUntil = 0; // epoch ms until which a new send is refused (from Retry-After)
let tickTimer: ReturnType<typeof setTimeout> | undefined;
let expiryAsked = ""; // the verification + expiry already refreshed once at its expiry

const stored = sessionStorage.getItem(KEY_STORAGE);
if (stored) ui.apiKey.value = stored;
ui.apiKey.addEventListener("change", () => sessionStorage.setItem(KEY_STORAGE, ui.apiKey.value.trim()));

type Tone = "info" | "good" | "warn" | "bad";

function explain(text: string, tone: Tone = "info"): void {
  ui.explain.textContent = text;
  ui.explain.dataset.tone = tone;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function duration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

/** The REST API with the key typed above; every call is shown in the "Last API call" panel. */
async function api<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  let result;
  try {
    result = await callApi<T>({ token: ui.apiKey.value.trim(), method, path, body });
  } catch (error) {
    explain("Could not reach the Worker. Is npm run dev still running?", "bad");
    throw error;
  }
  ui.lastCall.textContent =
    `${method} ${path}${body ? `\n${JSON.stringify(body, null, 2)}` : ""}` +
    `\n\n→ ${result.status}${result.retryAfter ? `  Retry-After: ${result.retryAfter}` : ""}\n${JSON.stringify(result.data, null, 2)}`;
  return result;
}

function showVerification(v: VerificationJson): void {
  current = v;
  ui.status.dataset.status = v.status;
  statusBadge.textContent = v.status;
  ui.facts.hidden = false;
  ui.factId.textContent = v.id;
  ui.factAttempts.textContent = v.status === "pending" ? `${Math.max(0, maxAttempts - v.checkAttempts)} of ${maxAttempts}` : "—";
  ui.factSends.textContent = String(v.sendAttempts);
  ui.cancel.disabled = v.status !== "pending";
  ui.refresh.disabled = false;
  tick();
}

const FINAL = {
  approved: "Approved: the code matched. Your backend would now mark this number as verified. A code approves only once.",
  canceled: "Canceled: this verification is closed and its code no longer works. Send a new code to start again.",
  expired: "Expired: the code was not used in time. Send a new code to start again.",
  max_attempts_reached: "Too many wrong codes: this verification is closed, even for the right code. Send a new code to start again.",
  failed: "The SMS could not be sent, so this verification failed. Send a new code to try again.",
};
/** What a closed verification means, by its status (or a check's outcome); undefined while pending. */
const finalText = (status: string): string | undefined => FINAL[status as keyof typeof FINAL];

function explainError(result: Extract<ApiResult<unknown>, { ok: false }>): void {
  const d: Partial<ErrorBody> = result.data ?? {};
  const detail = d.details?.[0] ?? {};
  if (result.status === 401) return explain("The API key was refused (401). In local development the key is ev_dev_local_only_key.", "bad");
  if (result.status === 429) {
    const seconds = Number(result.retryAfter || detail.retryAfterSeconds || 0);
    if (seconds > 0) startCooldown(seconds);
    if (detail.reason === "resend_too_soon") {
      return explain(
        "Too soon for another code to this number: the API refused it (429) and sent no SMS. " +
          "Each new code waits longer. The countdown shows when you may ask again; the code already sent still works.",
        "warn",
      );
    }
    if (detail.reason === "locked") return explain(`This number is locked after too many wrong codes (429). ${d.message}`, "bad");
    return explain(`A rate limit refused the request (429): ${d.message}`, "warn");
  }
  if (d.code === "failed_precondition") return explain(`Refused: ${d.message}. A verification approves only once, and a failed one cannot be checked.`, "bad");
  if (d.code === "not_found") return explain("Not found: there is no pending verification for this number or id. Send a code first.", "bad");
  if (d.code === "invalid_argument") return explain(`The API refused the input: ${d.message}.`, "bad");
  if (d.code === "unavailable") return explain(`The Worker is not configured (503): ${d.message}.`, "bad");
  explain(`The API answered ${result.status}: ${d.message || "no message"}.`, "bad");
}

// Resend cooldown: counts down from Retry-After; the Send button waits for it.
function startCooldown(seconds: number): void {
  cooldownUntil = Date.now() + seconds * 1000;
  tick();
}

function tick(): void {
  const now = Date.now();
  const left = (cooldownUntil - now) / 1000;
  if (left > 0) {
    ui.cooldown.hidden = false;
    ui.cooldown.textContent = `You can ask for a new code in ${duration(left)}.`;
    ui.start.disabled = true;
  } else if (!ui.cooldown.hidden) {
    ui.cooldown.hidden = true;
    ui.start.disabled = false;
    if (current && current.status === "pending") explain("You may ask for a new code now. A new code replaces the old one.", "info");
  }
  if (current) {
    const expiresIn = (Date.parse(current.expireTime) - now) / 1000;
    if (current.status !== "pending") ui.factExpires.textContent = "—";
    else if (expiresIn > 0) ui.factExpires.textContent = `in ${duration(expiresIn)}`;
    else {
      ui.factExpires.textContent = "now";
      // Past its expiry: ask the API once, which reports it expired (once: a clock that runs
      // ahead of the Worker's must not turn this into a request every tick).
      if (expiryAsked !== current.id + current.expireTime) {
        expiryAsked = current.id + current.expireTime;
        void refresh();
      }
    }
  }
  clearTimeout(tickTimer);
  if (left > 0 || (current && current.status === "pending")) tickTimer = setTimeout(tick, 250);
}

async function refresh(): Promise<void> {
  if (!current) return;
  const result = await api<VerificationJson>("GET", `/v1/verifications/${encodeURIComponent(current.id)}`);
  if (!result.ok) return explainError(result);
  showVerification(result.data);
  const final = finalText(result.data.status);
  if (final) explain(final, result.data.status === "approved" ? "good" : "bad");
}

ui.startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, ui.apiKey.value.trim());
  const result = await api<VerificationJson>("POST", "/v1/verifications", { to: ui.phone.value, serviceName: "Playground" });
  if (!result.ok) return explainError(result);
  const v = result.data;
  showVerification(v);
  if (v.status === "failed") return explain(`${FINAL.failed} Reason: ${v.failureReason}.`, "bad");
  const minutes = Math.round((Date.parse(v.expireTime) - Date.now()) / 60000);
  explain(
    (v.sendAttempts > 1 ? `A new code was sent to ${v.to}; the previous code no longer works. ` : `Code sent to ${v.to}. `) +
      `It is valid for about ${plural(minutes, "minute")}` +
      (outboxOn ? ". Find it in the dev outbox and type it below." : ". Type it below."),
    "info",
  );
  ui.code.value = "";
  ui.code.focus();
});

ui.checkForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = ui.code.value.trim();
  const body = current ? { verificationId: current.id, code } : { to: ui.phone.value, code };
  const result = await api<{ status: string; verification: VerificationJson }>("POST", "/v1/verifications/check", body);
  if (!result.ok) return explainError(result);
  const v = result.data.verification;
  showVerification(v);
  const outcome = result.data.status;
  if (outcome === "invalid") {
    const left = Math.max(0, maxAttempts - v.checkAttempts);
    if (v.status === "max_attempts_reached" || left === 0) explain(`Invalid code, and that was the last attempt. ${FINAL.max_attempts_reached}`, "bad");
    else explain(`Invalid code: it does not match. ${plural(left, "attempt")} left before this verification closes.`, "warn");
    ui.code.select();
    return;
  }
  explain(finalText(outcome) || `Status: ${outcome}`, outcome === "approved" ? "good" : "bad");
});

ui.cancel.addEventListener("click", async () => {
  if (!current) return;
  const result = await api<VerificationJson>("POST", `/v1/verifications/${encodeURIComponent(current.id)}/cancel`);
  if (!result.ok) return explainError(result);
  showVerification(result.data);
  explain(FINAL.canceled, "bad");
});

ui.refresh.addEventListener("click", () => refresh());

// Dev outbox: polled every second while the tab is visible. Polling survives a restarted
// wrangler dev with no reconnect logic, which Server-Sent Events would need.
if (outboxOn) {
  const state = byId("outbox-state", HTMLElement);
  const list = byId("outbox", HTMLOListElement);
  let lastSeq = -1;

  const pollOutbox = async (): Promise<void> => {
    const key = ui.apiKey.value.trim();
    if (document.hidden || !key) return;
    let result;
    try {
      result = await callApi<{ messages: OutboxMessage[] }>({ token: key, method: "GET", path: "/v1/dev/outbox" });
    } catch {
      state.textContent = "Cannot reach the Worker; retrying.";
      return;
    }
    if (result.status === 401) {
      state.textContent = "Enter a valid API key to see the outbox.";
      return;
    }
    if (!result.ok) {
      state.textContent = `The outbox answered ${result.status}.`;
      return;
    }
    const { messages } = result.data;
    const newest = messages[0]?.seq ?? 0;
    if (newest === lastSeq) return;
    lastSeq = newest;
    state.textContent = messages.length ? "" : "No messages yet.";
    list.replaceChildren(
      ...messages.map((m) =>
        el("li", current && m.to === current.to ? { className: "mine" } : {}, [
          el("p", { className: "meta", text: `To ${m.to} · ${new Date(m.createTime).toLocaleTimeString()}` }),
          el("p", { className: "body", text: m.body }),
        ]),
      ),
    );
  };
  const loop = (): void => void pollOutbox().finally(() => setTimeout(loop, 1000));
  loop();
}
