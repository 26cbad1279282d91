// Fake Telnyx Messaging v2: POST /v2/messages, Bearer, JSON {from, to, text};
// 200 {data: {id, ...}} or {errors: [{code, title, detail}]}.
import { createFake, isE164, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const TELNYX = { apiKey: "KEYFAKE0123456789_telnyx", from: "+13125550100" };

const error = (status: number, code: string, title: string) => json(status, { errors: [{ code, title, detail: `${title} ${LEAK_MARKER}` }] });

export function fakeTelnyx(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/v2/messages",
    authorized: (r) => r.headers.get("authorization") === `Bearer ${TELNYX.apiKey}`,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      if (!body || !isE164(body.to) || typeof body.text !== "string" || (!body.from && !body.messaging_profile_id)) return null;
      return { to: body.to, body: body.text };
    },
    newMessageId: () => crypto.randomUUID(),
    accepted: (m) => json(200, { data: { record_type: "message", id: m.messageId, direction: "outbound", to: [{ phone_number: m.to, status: "queued" }], text: m.body } }),
    unauthorized: () => error(401, "10009", "Authentication failed"),
    malformed: () => error(400, "10015", "Bad Request"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "10002", "Invalid phone number");
        case "auth_failed":
          return error(401, "10009", "Authentication failed");
        case "rate_limited":
          return error(429, "10011", "Too many requests");
        case "server_error":
          return error(500, "10007", "Unexpected error");
      }
    },
  });
}
