// A local fake of Twilio's Messages API for tests and the benchmark (never the internet).
// POST /2010-04-01/Accounts/{sid}/Messages.json with Basic auth and a form body, like Twilio.
// Control endpoints (ours, not Twilio's): GET /_messages?to=…, GET /_last?to=… (record: "last"), POST /_behaviour {to, status, body, delayMs, times, sid}.
// Also Lookup v2 (GET /v2/PhoneNumbers/{E164}?Fields=line_type_intelligence): every number is a
// mobile of "Fake Mobile" unless POST /_lookup {number, type, carrier, status, body, times} says
// otherwise; GET /_lookups?number=… counts the lookups made for a number.
import { createServer } from "node:http";

export const FAKE_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000";
export const FAKE_TWILIO_AUTH_TOKEN = "fake-twilio-auth-token";

/**
 * Starts the fake on 127.0.0.1 (port 0 = any free port).
 * @param {{ port?: number, record?: boolean | "last" }} [options] record=false keeps no messages;
 *   record="last" keeps only each number's last message body (the bench's flows read codes from
 *   it: `lastBody(to)` in-process, `GET /_last?to=…` over HTTP, or `onMessage` pushed as it arrives).
 */
export async function startFakeTwilio(options = {}) {
  const record = options.record ?? true;
  /** @type {Map<string, Array<Record<string, string>>>} */
  const messages = new Map();
  /** @type {Map<string, string>} record="last": number → its last message body. */
  const lastBodies = new Map();
  /** @type {((to: string, body: string) => void) | null} Called for every accepted message (set by the bench). */
  let onMessage = null;
  /** @type {Map<string, {status: number, body: unknown, delayMs: number, times: number, sid?: string}>} */
  const behaviours = new Map();
  let sent = 0;
  /** @type {Map<string, Array<{headers: Record<string, unknown>, body: string, answered: number}>>} */
  const webhooks = new Map();
  /** @type {Map<string, number>} */
  const webhookFailures = new Map();
  /** @type {Map<string, {type: string | null, carrier: string, status: number, body: unknown, times: number}>} */
  const lookupAnswers = new Map();
  /** @type {Map<string, number>} */
  const lookupCounts = new Map();

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const json = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };

    if (req.method === "GET" && url.pathname === "/_last") {
      const body = lastBodies.get(url.searchParams.get("to") ?? "");
      return json(body === undefined ? 404 : 200, { body: body ?? null });
    }
    if (req.method === "GET" && url.pathname === "/_messages") {
      const to = url.searchParams.get("to");
      return json(200, { messages: to ? (messages.get(to) ?? []) : [...messages.values()].flat(), sent });
    }
    // A webhook receiver for the tests of our outgoing webhooks: records every delivery.
    const hook = /^\/webhooks\/([\w-]+)$/.exec(url.pathname);
    if (hook && req.method === "POST") {
      const name = hook[1];
      const list = webhooks.get(name) ?? [];
      const failing = webhookFailures.get(name) ?? 0;
      list.push({ headers: { ...req.headers }, body: raw, answered: failing > 0 ? 500 : 204 });
      webhooks.set(name, list);
      if (failing > 0) {
        webhookFailures.set(name, failing - 1);
        return json(500, { error: "fake failure" });
      }
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "GET" && url.pathname === "/_webhooks") {
      return json(200, { deliveries: webhooks.get(url.searchParams.get("name") ?? "") ?? [] });
    }
    if (req.method === "POST" && url.pathname === "/_webhook_failures") {
      const b = JSON.parse(raw);
      webhookFailures.set(b.name, b.times);
      return json(200, { ok: true });
    }
    if (req.method === "POST" && url.pathname === "/_behaviour") {
      const b = JSON.parse(raw);
      behaviours.set(b.to, { status: b.status ?? 200, body: b.body ?? null, delayMs: b.delayMs ?? 0, times: b.times ?? Infinity, sid: b.sid });
      return json(200, { ok: true });
    }
    if (req.method === "POST" && url.pathname === "/_lookup") {
      const b = JSON.parse(raw);
      lookupAnswers.set(b.number, { type: b.type ?? "mobile", carrier: b.carrier ?? "Fake Mobile", status: b.status ?? 200, body: b.body ?? null, times: b.times ?? Infinity });
      return json(200, { ok: true });
    }
    if (req.method === "GET" && url.pathname === "/_lookups") {
      return json(200, { count: lookupCounts.get(url.searchParams.get("number") ?? "") ?? 0 });
    }
    const lookup = /^\/v2\/PhoneNumbers\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && lookup) {
      const expected = "Basic " + Buffer.from(`${FAKE_TWILIO_ACCOUNT_SID}:${FAKE_TWILIO_AUTH_TOKEN}`).toString("base64");
      if (req.headers.authorization !== expected) return json(401, { code: 20003, message: "Authenticate", status: 401 });
      const number = decodeURIComponent(lookup[1]);
      lookupCounts.set(number, (lookupCounts.get(number) ?? 0) + 1);
      const answer = lookupAnswers.get(number);
      if (answer && answer.times > 0 && answer.status !== 200) {
        answer.times--;
        return json(answer.status, answer.body ?? { code: 20429, message: "Too Many Requests", status: answer.status });
      }
      const type = answer?.type ?? "mobile";
      const mobile = type === "mobile";
      return json(200, {
        calling_country_code: "1",
        country_code: "US",
        phone_number: number,
        national_format: number,
        valid: true,
        line_type_intelligence: {
          type,
          carrier_name: answer?.carrier ?? "Fake Mobile",
          mobile_country_code: mobile ? "310" : null,
          mobile_network_code: mobile ? "260" : null,
          error_code: null,
        },
        url: `${url.origin}/v2/PhoneNumbers/${number}`,
      });
    }
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(url.pathname);
    if (req.method !== "POST" || !match) return json(404, { code: 20404, message: "The requested resource was not found", status: 404 });

    const expected = "Basic " + Buffer.from(`${FAKE_TWILIO_ACCOUNT_SID}:${FAKE_TWILIO_AUTH_TOKEN}`).toString("base64");
    if (match[1] !== FAKE_TWILIO_ACCOUNT_SID || req.headers.authorization !== expected) {
      return json(401, { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
    }
    const form = new URLSearchParams(raw);
    const isCall = match[2] === "Calls";
    const rawTo = form.get("To") ?? "";
    // WhatsApp addresses are "whatsapp:+1…" on both ends; messages are filed under the bare number.
    const whatsapp = rawTo.startsWith("whatsapp:");
    const to = rawTo.replace(/^whatsapp:/, "");
    if (whatsapp && !(form.get("From") ?? "").startsWith("whatsapp:")) {
      return json(400, { code: 63007, message: "Twilio could not find a Channel with the specified From address", status: 400 });
    }
    if (!(isCall ? form.get("Twiml") : form.get("Body")) || !to || (!form.get("From") && !form.get("MessagingServiceSid"))) {
      return json(400, { code: 21604, message: "A 'To' phone number, a 'Body' (or 'Twiml' for calls) and 'From' are required.", status: 400 });
    }
    const behaviour = behaviours.get(to);
    let fixedSid;
    if (behaviour && behaviour.times > 0) {
      fixedSid = behaviour.sid;
      behaviour.times--;
      if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
      if (behaviour.status !== 200) return json(behaviour.status, behaviour.body ?? { code: 0, message: "fake failure", status: behaviour.status });
    }
    sent++;
    const sid = fixedSid ?? (isCall ? "CA" : "SM") + Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
    const channel = isCall ? "call" : whatsapp ? "whatsapp" : "sms";
    const body = isCall ? (form.get("Twiml") ?? "") : (form.get("Body") ?? "");
    const message = { sid, channel, to, from: form.get("From") ?? "", messagingServiceSid: form.get("MessagingServiceSid") ?? "", body, statusCallback: form.get("StatusCallback") ?? "" };
    if (record === "last") lastBodies.set(to, body);
    else if (record) {
      const list = messages.get(to) ?? [];
      list.push(message);
      messages.set(to, list);
    }
    onMessage?.(to, body);
    return json(201, { sid, status: "queued", to, from: message.from, body: message.body, account_sid: FAKE_TWILIO_ACCOUNT_SID });
  });

  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sentCount: () => sent,
    /** record="last": the last message body sent to `to` (undefined: none). */
    lastBody: (to) => lastBodies.get(to),
    /** Forgets the kept bodies (record="last"), so a long run's map stays small. */
    clearLast: () => lastBodies.clear(),
    /** Sets (or with null clears) the hook called with (to, body) for every accepted message. */
    setOnMessage: (fn) => {
      onMessage = fn;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
