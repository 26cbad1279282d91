// Fake Plivo Message API: POST /v1/Account/{auth_id}/Message/, Basic auth, JSON {src, dst, text};
// 202 {message_uuid: [...]} or {api_id, error} with the HTTP status carrying the meaning.
import { basicAuth, createFake, e164FromDigits, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const PLIVO = { authId: "MAFAKEAUTHID000000000", authToken: "fake-plivo-token", from: "+14155550100" };

const error = (status: number, text: string) => json(status, { api_id: crypto.randomUUID(), error: `${text} ${LEAK_MARKER}` });

export function fakePlivo(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: `/v1/Account/${PLIVO.authId}/Message/`,
    authorized: (r) => r.headers.get("authorization") === basicAuth(PLIVO.authId, PLIVO.authToken),
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      const to = e164FromDigits(body?.dst);
      if (!body || !to || typeof body.text !== "string" || !e164FromDigits(body.src)) return null;
      return { to, body: body.text };
    },
    newMessageId: () => crypto.randomUUID(),
    accepted: (m) => json(202, { api_id: crypto.randomUUID(), message: "message(s) queued", message_uuid: [m.messageId] }),
    unauthorized: () => error(401, "authentication_failed"),
    malformed: () => error(400, "invalid_parameter"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "dst parameter is invalid");
        case "auth_failed":
          return error(401, "authentication_failed");
        case "rate_limited":
          return error(429, "rate_limit_exceeded");
        case "server_error":
          return error(500, "server error");
      }
    },
  });
}
