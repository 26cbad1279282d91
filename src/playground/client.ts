// The playground's browser script, served as /playground/playground.js. Plain ES2020, no build
// step, no dependencies. It only calls this Worker's REST API and writes text with textContent
// (never innerHTML), so nothing from a response is ever parsed as markup.
export const PLAYGROUND_JS = String.raw`"use strict";
(function () {
  var app = document.getElementById("app");
  var maxAttempts = Number(app.dataset.maxAttempts || "5");
  var outboxOn = app.dataset.outbox === "on";
  var $ = function (id) { return document.getElementById(id); };
  var KEY_STORAGE = "edge-verify.playground.apiKey";

  var current = null;        // the verification last returned by the API
  var cooldownUntil = 0;     // epoch ms until which a new send is refused (from Retry-After)
  var tickTimer = null;
  var expiryAsked = "";      // the verification + expiry already refreshed once at its expiry

  // The API key lives in this tab's sessionStorage only; it never goes into the URL.
  var keyInput = $("api-key");
  var stored = sessionStorage.getItem(KEY_STORAGE);
  if (stored) keyInput.value = stored;
  keyInput.addEventListener("change", function () { sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim()); });

  function explain(text, tone) {
    var el = $("explain");
    el.textContent = text;
    el.dataset.tone = tone || "info";
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function duration(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var m = Math.floor(s / 60);
    return m > 0 ? m + " min " + String(s % 60).padStart(2, "0") + " s" : s + " s";
  }

  // One place that calls the API: records the call for the "Last API call" panel.
  async function api(method, path, body) {
    var init = { method: method, headers: { authorization: "Bearer " + keyInput.value.trim() } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      explain("Could not reach the Worker. Is npm run dev still running?", "bad");
      throw error;
    }
    var data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    var retry = response.headers.get("retry-after");
    $("last-call").textContent = method + " " + path + (body ? "\n" + JSON.stringify(body, null, 2) : "") +
      "\n\n→ " + response.status + (retry ? "  Retry-After: " + retry : "") + "\n" + JSON.stringify(data, null, 2);
    return { status: response.status, data: data || {}, retryAfter: retry };
  }

  function showVerification(v) {
    current = v;
    var status = $("status");
    status.dataset.status = v.status;
    status.querySelector(".badge").textContent = v.status;
    $("facts").hidden = false;
    $("fact-id").textContent = v.id;
    $("fact-attempts").textContent = v.status === "pending" ? String(Math.max(0, maxAttempts - v.checkAttempts)) + " of " + maxAttempts : "—";
    $("fact-sends").textContent = String(v.sendAttempts);
    var live = v.status === "pending";
    $("cancel").disabled = !live;
    $("refresh").disabled = false;
    tick();
  }

  var FINAL = {
    approved: "Approved: the code matched. Your backend would now mark this number as verified. A code approves only once.",
    canceled: "Canceled: this verification is closed and its code no longer works. Send a new code to start again.",
    expired: "Expired: the code was not used in time. Send a new code to start again.",
    max_attempts_reached: "Too many wrong codes: this verification is closed, even for the right code. Send a new code to start again.",
    failed: "The SMS could not be sent, so this verification failed. Send a new code to try again.",
  };

  function explainError(result) {
    var d = result.data;
    var detail = (d.details && d.details[0]) || {};
    if (result.status === 401) return explain("The API key was refused (401). In local development the key is ev_dev_local_only_key.", "bad");
    if (result.status === 429) {
      var seconds = Number(result.retryAfter || detail.retryAfterSeconds || 0);
      if (seconds > 0) startCooldown(seconds);
      if (detail.reason === "resend_too_soon") {
        return explain("Too soon for another code to this number: the API refused it (429) and sent no SMS. " +
          "Each new code waits longer. The countdown shows when you may ask again; the code already sent still works.", "warn");
      }
      if (detail.reason === "locked") return explain("This number is locked after too many wrong codes (429). " + d.message, "bad");
      return explain("A rate limit refused the request (429): " + d.message, "warn");
    }
    if (d.code === "failed_precondition") return explain("Refused: " + d.message + ". A verification approves only once, and a failed one cannot be checked.", "bad");
    if (d.code === "not_found") return explain("Not found: there is no pending verification for this number or id. Send a code first.", "bad");
    if (d.code === "invalid_argument") return explain("The API refused the input: " + d.message + ".", "bad");
    if (d.code === "unavailable") return explain("The Worker is not configured (503): " + d.message + ".", "bad");
    explain("The API answered " + result.status + ": " + (d.message || "no message") + ".", "bad");
  }

  // Resend cooldown: counts down from Retry-After; the Send button waits for it.
  function startCooldown(seconds) {
    cooldownUntil = Date.now() + seconds * 1000;
    tick();
  }

  function tick() {
    var now = Date.now();
    var left = (cooldownUntil - now) / 1000;
    var cd = $("cooldown");
    if (left > 0) {
      cd.hidden = false;
      cd.textContent = "You can ask for a new code in " + duration(left) + ".";
      $("start").disabled = true;
    } else if (!cd.hidden) {
      cd.hidden = true;
      $("start").disabled = false;
      if (current && current.status === "pending") explain("You may ask for a new code now. A new code replaces the old one.", "info");
    }
    if (current) {
      var expiresIn = (Date.parse(current.expireTime) - now) / 1000;
      if (current.status !== "pending") $("fact-expires").textContent = "—";
      else if (expiresIn > 0) $("fact-expires").textContent = "in " + duration(expiresIn);
      else {
        $("fact-expires").textContent = "now";
        // Past its expiry: ask the API once, which reports it expired (once: a clock that runs
        // ahead of the Worker's must not turn this into a request every tick).
        if (expiryAsked !== current.id + current.expireTime) {
          expiryAsked = current.id + current.expireTime;
          refresh();
        }
      }
    }
    clearTimeout(tickTimer);
    if (left > 0 || (current && current.status === "pending")) tickTimer = setTimeout(tick, 250);
  }

  async function refresh() {
    if (!current) return;
    var result = await api("GET", "/v1/verifications/" + encodeURIComponent(current.id));
    if (result.status !== 200) return explainError(result);
    showVerification(result.data);
    if (FINAL[result.data.status]) explain(FINAL[result.data.status], result.data.status === "approved" ? "good" : "bad");
  }

  $("start-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim());
    var result = await api("POST", "/v1/verifications", { to: $("phone").value, serviceName: "Playground" });
    if (result.status !== 201) return explainError(result);
    var v = result.data;
    showVerification(v);
    if (v.status === "failed") return explain(FINAL.failed + " Reason: " + v.failureReason + ".", "bad");
    var minutes = Math.round((Date.parse(v.expireTime) - Date.now()) / 60000);
    explain((v.sendAttempts > 1 ? "A new code was sent to " + v.to + "; the previous code no longer works. " : "Code sent to " + v.to + ". ") +
      "It is valid for about " + plural(minutes, "minute") + (outboxOn ? ". Find it in the dev outbox and type it below." : ". Type it below."), "info");
    $("code").value = "";
    $("code").focus();
  });

  $("check-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var body = current ? { verificationId: current.id, code: $("code").value.trim() } : { to: $("phone").value, code: $("code").value.trim() };
    var result = await api("POST", "/v1/verifications/check", body);
    if (result.status !== 200) return explainError(result);
    showVerification(result.data.verification);
    var outcome = result.data.status;
    if (outcome === "invalid") {
      var v = result.data.verification;
      var left = Math.max(0, maxAttempts - v.checkAttempts);
      if (v.status === "max_attempts_reached" || left === 0) explain("Invalid code, and that was the last attempt. " + FINAL.max_attempts_reached, "bad");
      else explain("Invalid code: it does not match. " + plural(left, "attempt") + " left before this verification closes.", "warn");
      $("code").select();
      return;
    }
    explain(FINAL[outcome] || "Status: " + outcome, outcome === "approved" ? "good" : "bad");
  });

  $("cancel").addEventListener("click", async function () {
    if (!current) return;
    var result = await api("POST", "/v1/verifications/" + encodeURIComponent(current.id) + "/cancel");
    if (result.status !== 200) return explainError(result);
    showVerification(result.data);
    explain(FINAL.canceled, "bad");
  });

  $("refresh").addEventListener("click", refresh);

  // Dev outbox: polled every second while the tab is visible. Polling survives a restarted
  // wrangler dev with no reconnect logic, which Server-Sent Events would need.
  var lastSeq = -1;
  async function pollOutbox() {
    if (document.hidden || !keyInput.value.trim()) return;
    var response;
    try {
      response = await fetch("/v1/dev/outbox", { headers: { authorization: "Bearer " + keyInput.value.trim() } });
    } catch (error) {
      $("outbox-state").textContent = "Cannot reach the Worker; retrying.";
      return;
    }
    if (response.status === 401) { $("outbox-state").textContent = "Enter a valid API key to see the outbox."; return; }
    if (response.status !== 200) { $("outbox-state").textContent = "The outbox answered " + response.status + "."; return; }
    var data = await response.json();
    var newest = data.messages.length ? data.messages[0].seq : 0;
    if (newest === lastSeq) return;
    lastSeq = newest;
    $("outbox-state").textContent = data.messages.length ? "" : "No messages yet.";
    var list = $("outbox");
    list.replaceChildren();
    data.messages.forEach(function (m) {
      var item = document.createElement("li");
      if (current && m.to === current.to) item.className = "mine";
      var meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = "To " + m.to + " · " + new Date(m.createTime).toLocaleTimeString();
      var text = document.createElement("p");
      text.className = "body";
      text.textContent = m.body;
      item.append(meta, text);
      list.append(item);
    });
  }
  if (outboxOn) {
    (function loop() { pollOutbox().finally(function () { setTimeout(loop, 1000); }); })();
  }
})();
`;
