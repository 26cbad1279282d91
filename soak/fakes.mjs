// A fault-injecting fake of Twilio's Messages API on loopback (real sockets, so resets and stalls
// are real), and its delivery receipts: signed like Twilio's, some duplicated, some out of order,
// posted to the Worker's /v1/callbacks/twilio. It records every message it *took* (the ones a user
// would receive), which is what the invariants count.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../test/fakes/fake-twilio.mjs";

export { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN };

/**
 * Fault kinds and whether the fake takes the message before failing (then the user receives it
 * although the Worker sees a failure: the "lost answer" cases a retry must not turn into two codes).
 */
export const FAULTS = {
  http_503: { taken: false },
  http_500_after_taking: { taken: true },
  http_429: { taken: false },
  timeout: { taken: true },
  stalled_body: { taken: true },
  reset_before: { taken: false },
  reset_after_taking: { taken: true },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ random: () => number, faultRate: number, timeoutMs: number, codePattern: RegExp,
 *   receiptTarget: () => string | null, publicBaseUrl: string }} options
 */
export async function startFaultyTwilio(options) {
  const messages = []; // {to, body, code, verificationId, at, fault}
  const faults = { ...Object.fromEntries(Object.keys(FAULTS).map((k) => [k, 0])), blackout_503: 0 };
  const receipts = { sent: 0, duplicates: 0, outOfOrder: 0, answers: {}, refused: [] };
  let blackout = false; // every request fails (503): "every provider made to fail"
  let requests = 0;
  const pendingReceipts = new Set();
  const sockets = new Set();

  const take = (form, fault) => {
    const to = form.get("To") ?? "";
    const body = form.get("Body") ?? "";
    const callback = form.get("StatusCallback") ?? "";
    const verificationId = callback ? (new URL(callback).searchParams.get("v") ?? "") : "";
    const code = (body.match(options.codePattern) ?? [""])[0];
    const sid = "SM" + Array.from({ length: 32 }, () => Math.floor(options.random() * 16).toString(16)).join("");
    messages.push({ to, body, code, verificationId, sid, at: Date.now(), fault });
    if (callback) scheduleReceipts(callback, sid);
    return sid;
  };

  function scheduleReceipts(callback, sid) {
    const final = options.random() < 0.15 ? (options.random() < 0.5 ? "undelivered" : "failed") : "delivered";
    let statuses = ["queued", "sent", final];
    if (options.random() < 0.3) {
      statuses = [statuses[2], statuses[0], statuses[1]]; // final first, then older states
      receipts.outOfOrder++;
    }
    if (options.random() < 0.3) {
      statuses.push(statuses[Math.floor(options.random() * statuses.length)]);
      receipts.duplicates++;
    }
    // Some receipts arrive before the send's answer (the stalled and slow cases make that likely).
    const task = (async () => {
      for (const status of statuses) {
        await sleep(20 + options.random() * 400);
        await postReceipt(callback, sid, status);
      }
    })();
    pendingReceipts.add(task);
    task.finally(() => pendingReceipts.delete(task));
  }

  async function postReceipt(callback, sid, status) {
    const target = options.receiptTarget();
    if (!target) return; // the Worker is down (full restart): a vendor would retry later
    const params = { AccountSid: FAKE_TWILIO_ACCOUNT_SID, MessageSid: sid, MessageStatus: status, ErrorCode: status === "delivered" ? "" : status === "sent" || status === "queued" ? "" : "30003" };
    // Twilio signs the URL it was given (PUBLIC_BASE_URL's origin) plus the sorted parameters.
    const signed = callback + Object.keys(params).sort().map((k) => k + params[k]).join("");
    const signature = createHmac("sha1", FAKE_TWILIO_AUTH_TOKEN).update(signed).digest("base64");
    const given = new URL(callback);
    const url = new URL(given.pathname + given.search, target);
    receipts.sent++;
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params).toString(), signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      receipts.answers[response.status] = (receipts.answers[response.status] ?? 0) + 1;
      if (response.status !== 200 && response.status !== 404) receipts.refused.push({ status: response.status, body: text.slice(0, 200) });
    } catch (error) {
      receipts.answers.unreachable = (receipts.answers.unreachable ?? 0) + 1;
    }
  }

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const json = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    if (req.method !== "POST" || !match) return json(404, { code: 20404, message: "not found", status: 404 });
    const expected = "Basic " + Buffer.from(`${FAKE_TWILIO_ACCOUNT_SID}:${FAKE_TWILIO_AUTH_TOKEN}`).toString("base64");
    if (match[1] !== FAKE_TWILIO_ACCOUNT_SID || req.headers.authorization !== expected) return json(401, { code: 20003, message: "Authenticate", status: 401 });
    requests++;
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    if (blackout) {
      faults.blackout_503++;
      return json(503, { code: 0, message: "fake outage", status: 503 });
    }
    let fault = null;
    if (options.random() < options.faultRate) {
      const kinds = Object.keys(FAULTS);
      fault = kinds[Math.floor(options.random() * kinds.length)];
      faults[fault]++;
    }
    const sid = fault === null || FAULTS[fault].taken ? take(form, fault) : null;
    const ok = () => ({ sid, status: "queued", to: form.get("To"), account_sid: FAKE_TWILIO_ACCOUNT_SID });
    switch (fault) {
      case null:
        return json(201, ok());
      case "http_503":
        return json(503, { code: 0, message: "Service Unavailable", status: 503 });
      case "http_500_after_taking":
        return json(500, { code: 0, message: "Internal Error", status: 500 });
      case "http_429":
        return json(429, { code: 20429, message: "Too Many Requests", status: 429 });
      case "timeout":
        await sleep(options.timeoutMs + 300);
        return json(201, ok());
      case "stalled_body": {
        res.writeHead(201, { "content-type": "application/json" });
        res.write(JSON.stringify(ok()).slice(0, 20));
        await sleep(options.timeoutMs * 2);
        return res.destroy();
      }
      case "reset_before":
      case "reset_after_taking":
        return req.socket.destroy();
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    faults,
    receipts,
    requests: () => requests,
    setBlackout(on) {
      blackout = on;
    },
    /** Waits for the receipts still being posted. */
    async drain() {
      while (pendingReceipts.size) await Promise.all([...pendingReceipts]);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A service's webhook receiver on loopback HTTPS (production refuses http webhook URLs; the
 * Worker trusts soak/tls/cert.pem through NODE_EXTRA_CA_CERTS, which Miniflare hands to workerd).
 * Records every delivery; fails some with 500 so the outbox retries.
 */
export async function startWebhookReceiver({ random, failRate }) {
  const { createServer: createHttpsServer } = await import("node:https");
  const { readFileSync } = await import("node:fs");
  const tls = new URL("./tls/", import.meta.url);
  const deliveries = []; // {id, type, verificationId, status, body}
  let failed = 0;
  const server = createHttpsServer({ cert: readFileSync(new URL("cert.pem", tls)), key: readFileSync(new URL("key.pem", tls)) }, async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    let event = null;
    try {
      event = JSON.parse(body);
    } catch {}
    const fail = random() < failRate;
    if (fail) failed++;
    deliveries.push({ id: String(req.headers["webhook-id"] ?? ""), type: event?.type ?? "", verificationId: event?.data?.id ?? "", status: fail ? 500 : 204, body });
    res.writeHead(fail ? 500 : 204);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}/hooks`,
    deliveries,
    failed: () => failed,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
