// Each sender asks its vendor for delivery receipts, in the vendor's own field, exactly when the
// message carries a callback URL for it; the fakes still decode the request as the vendor would.
import { describe, expect, it } from "vitest";
import { createInfobipSender } from "../../src/sms/infobip.ts";
import { createPlivoSender } from "../../src/sms/plivo.ts";
import type { FetchFn, SmsSender } from "../../src/sms/sender.ts";
import { createSinchSender } from "../../src/sms/sinch.ts";
import { createTelnyxSender } from "../../src/sms/telnyx.ts";
import { createTwilioSender } from "../../src/sms/twilio.ts";
import { createVonageSender } from "../../src/sms/vonage.ts";
import { createWebhookSender } from "../../src/sms/webhook.ts";
import { CONTRACT_BODY, CONTRACT_TO } from "./contract.ts";
import { fakeInfobip, INFOBIP } from "./fakes/infobip.ts";
import type { FakeApi, RecordedRequest } from "./fakes/kit.ts";
import { fakePlivo, PLIVO } from "./fakes/plivo.ts";
import { fakeSinch, SINCH } from "./fakes/sinch.ts";
import { fakeTelnyx, TELNYX } from "./fakes/telnyx.ts";
import { fakeTwilio, TWILIO } from "./fakes/twilio.ts";
import { fakeVonage, VONAGE } from "./fakes/vonage.ts";
import { fakeWebhookGateway, WEBHOOK } from "./fakes/webhook.ts";

const REF = "ve_" + "Q".repeat(64);
const form = (r: RecordedRequest) => Object.fromEntries(new URLSearchParams(r.text));
const body = (r: RecordedRequest) => JSON.parse(r.text) as Record<string, any>;

interface Case {
  name: string;
  build(base: string, fetchFn: FetchFn): SmsSender;
  fake(base: string): FakeApi;
  /** The receipt fields the vendor's request carries (empty object when none were asked for). */
  receiptFields(request: RecordedRequest): Record<string, unknown>;
  expected(url: string): Record<string, unknown>;
}

const CASES: Case[] = [
  {
    name: "twilio",
    build: (base, f) => createTwilioSender({ ...TWILIO, apiBase: base }, f),
    fake: fakeTwilio,
    receiptFields: (r) => pick(form(r), ["StatusCallback"]),
    expected: (url) => ({ StatusCallback: url }),
  },
  {
    name: "vonage",
    build: (base, f) => createVonageSender({ ...VONAGE, apiBase: base }, f),
    fake: fakeVonage,
    receiptFields: (r) => pick(form(r), ["callback", "client-ref", "status-report-req"]),
    expected: (url) => ({ callback: url, "client-ref": REF, "status-report-req": "1" }),
  },
  {
    name: "telnyx",
    build: (base, f) => createTelnyxSender({ ...TELNYX, apiBase: base }, f),
    fake: fakeTelnyx,
    receiptFields: (r) => pick(body(r), ["webhook_url"]),
    expected: (url) => ({ webhook_url: url }),
  },
  {
    name: "plivo",
    build: (base, f) => createPlivoSender({ ...PLIVO, apiBase: base }, f),
    fake: fakePlivo,
    receiptFields: (r) => pick(body(r), ["url", "method"]),
    expected: (url) => ({ url, method: "POST" }),
  },
  {
    name: "sinch",
    build: (base, f) => createSinchSender({ ...SINCH, apiBase: base }, f),
    fake: fakeSinch,
    receiptFields: (r) => pick(body(r), ["callback_url", "delivery_report"]),
    expected: (url) => ({ callback_url: url, delivery_report: "per_recipient" }),
  },
  {
    name: "infobip",
    build: (base, f) => createInfobipSender({ ...INFOBIP, apiBase: base }, f),
    fake: fakeInfobip,
    receiptFields: (r) => pick(body(r).messages[0], ["notifyUrl", "notifyContentType"]),
    expected: (url) => ({ notifyUrl: url, notifyContentType: "application/json" }),
  },
  {
    name: "webhook",
    build: (base, f) => createWebhookSender({ url: `${base}${WEBHOOK.path}`, secret: WEBHOOK.secret }, f),
    fake: fakeWebhookGateway,
    receiptFields: (r) => pick(body(r), ["callbackUrl"]),
    expected: (url) => ({ callbackUrl: url }),
  },
];

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in source).map((k) => [k, source[k]]));
}

describe("twilio channels", () => {
  const base = "https://twilio.fake.test";
  const url = `https://verify.example.test/v1/callbacks/twilio?v=${REF}`;
  const sent = async (kind: "whatsapp" | "call") => {
    const requests: RecordedRequest[] = [];
    const fetchFn: FetchFn = async (input, init) => {
      const request = new Request(input, init);
      requests.push({ method: request.method, url: request.url, headers: request.headers, text: await request.text() });
      return new Response(JSON.stringify({ sid: kind === "call" ? "CA1" : "SM1", status: "queued" }), { status: 201, headers: { "content-type": "application/json" } });
    };
    await createTwilioSender({ ...TWILIO, apiBase: base, kind }, fetchFn).send({ to: CONTRACT_TO, body: kind === "call" ? "<Response/>" : CONTRACT_BODY, callbackUrls: { twilio: url } });
    return form(requests[0]!);
  };

  it("WhatsApp messages ask for receipts like SMS (same Message resource); calls do not", async () => {
    expect((await sent("whatsapp")).StatusCallback).toBe(url);
    expect((await sent("call")).StatusCallback).toBeUndefined();
  });
});

describe.each(CASES)("$name asks for delivery receipts", (c) => {
  const base = `https://${c.name}.fake.test`;
  const url = `https://verify.example.test/v1/callbacks/${c.name}?v=${REF}`;

  it("at the message's callback URL for this provider", async () => {
    const fake = c.fake(base);
    await c.build(base, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY, reference: REF, callbackUrls: { [c.name]: url, other: "https://elsewhere.test" } });
    expect(fake.sent).toHaveLength(1);
    expect(c.receiptFields(fake.requests[0]!)).toEqual(c.expected(url));
  });

  it("not at all when the message carries no URL for it", async () => {
    const fake = c.fake(base);
    await c.build(base, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY, reference: REF, callbackUrls: { other: "https://elsewhere.test" } });
    expect(fake.sent).toHaveLength(1);
    expect(c.receiptFields(fake.requests[0]!)).toEqual({});
  });
});
