// Fake PortaText: POST /sms, `X-Api-Key`, JSON {from, to, text, client_ref} with numbers as digits;
// success by HTTP status, errors {success: false, error_description}.
import { createFake, e164FromDigits, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const PORTATEXT = { apiKey: "fake-portatext-api-key", from: "+12223334444" };

const error = (status: number, description: string) => json(status, { success: false, error_description: [`${description} ${LEAK_MARKER}`] });

export function fakePortaText(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/sms",
    authorized: (r) => r.headers.get("x-api-key") === PORTATEXT.apiKey,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      const to = e164FromDigits(body?.to);
      if (!body || !to || !e164FromDigits(body.from) || typeof body.text !== "string" || typeof body.client_ref !== "string") return null;
      // PortaText finds messages by the client_ref we sent; the fake records it as the id.
      return { to, body: body.text, messageId: body.client_ref };
    },
    newMessageId: () => crypto.randomUUID(),
    accepted: () => json(200, { success: true }),
    unauthorized: () => error(401, "invalid_credentials"),
    malformed: () => error(400, "client_error"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "invalid_to");
        case "auth_failed":
          return error(401, "invalid_credentials");
        case "rate_limited":
          return error(429, "rate_limited");
        case "server_error":
          return error(500, "server_error");
      }
    },
  });
}
