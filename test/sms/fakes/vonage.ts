// Fake Vonage SMS API: POST /sms/json, form body with api_key/api_secret, HTTP 200 with a
// per-message status for refusals too (as the real API does).
import { createFake, e164FromDigits, fakeId, json, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const VONAGE = { apiKey: "abcd1234", apiSecret: "fake-vonage-secret", from: "AcmeCo" };

const refusal = (status: string, text: string) => json(200, { "message-count": "1", messages: [{ status, "error-text": `${text} ${LEAK_MARKER}` }] });

export function fakeVonage(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/sms/json",
    authorized: (r) => {
      const form = new URLSearchParams(r.text);
      return form.get("api_key") === VONAGE.apiKey && form.get("api_secret") === VONAGE.apiSecret;
    },
    decode: (r) => {
      if (!r.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) return null;
      const form = new URLSearchParams(r.text);
      const to = e164FromDigits(form.get("to"));
      const text = form.get("text");
      if (!to || !text || !form.get("from")) return null;
      return { to, body: text };
    },
    newMessageId: () => fakeId("0C00").toUpperCase(),
    accepted: (m) =>
      json(200, {
        "message-count": "1",
        messages: [{ to: m.to.slice(1), "message-id": m.messageId, status: "0", "remaining-balance": "15.53", "message-price": "0.0333", network: "23410" }],
      }),
    unauthorized: () => refusal("4", "Bad Credentials"),
    malformed: () => refusal("2", "Missing from param"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return refusal("3", "Invalid To Number");
        case "auth_failed":
          return refusal("4", "Bad Credentials");
        case "rate_limited":
          return refusal("1", "Throughput Rate Exceeded");
        case "server_error":
          return new Response(`<html>503 ${LEAK_MARKER}</html>`, { status: 503 });
      }
    },
  });
}
