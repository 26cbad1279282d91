// Fake Sinch SMS REST: POST /xms/v1/{service_plan_id}/batches, Bearer, JSON {from, to: [..], body};
// 201 {id, ...} or {code, text} on 400/403, bare 401 for a bad token.
import { createFake, fakeId, isE164, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const SINCH = { servicePlanId: "jd63jf88477ll123ab4567cd89012ef3", apiToken: "fake-sinch-token", from: "+12345678900" };

const error = (status: number, code: string, text: string) => json(status, { code, text: `${text} ${LEAK_MARKER}` });

export function fakeSinch(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: `/xms/v1/${SINCH.servicePlanId}/batches`,
    authorized: (r) => r.headers.get("authorization") === `Bearer ${SINCH.apiToken}`,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      if (!body || !Array.isArray(body.to) || body.to.length !== 1 || !isE164(body.to[0]) || typeof body.body !== "string") return null;
      return { to: body.to[0], body: body.body };
    },
    newMessageId: () => fakeId("01FC6662").toUpperCase(),
    accepted: (m) => json(201, { id: m.messageId, to: [m.to], from: SINCH.from, canceled: false, body: m.body, type: "mt_text" }),
    unauthorized: () => error(401, "unauthorized", "Unauthorized"),
    malformed: () => error(400, "syntax_invalid_json", "Invalid JSON"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "syntax_invalid_parameter_format", "Invalid MSISDN");
        case "auth_failed":
          return error(401, "unauthorized", "Unauthorized");
        case "rate_limited":
          return error(429, "too_many_requests", "Too many requests");
        case "server_error":
          return error(500, "internal_error", "Internal error");
      }
    },
  });
}
