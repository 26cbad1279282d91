// Fake Mobile Text Alerts v3: POST /v3/send, Bearer, JSON {subscribers: [number], message};
// {success, message, data} envelopes, errors by HTTP status.
import { createFake, fakeId, isE164, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const MTA = { apiKey: "89fa747a-e01b-5940-99c2-fakefakefake" };

const error = (status: number, name: string, message: string) => json(status, { success: false, error: name, message: `${message} ${LEAK_MARKER}` });

export function fakeMobileTextAlerts(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/v3/send",
    authorized: (r) => r.headers.get("authorization") === `Bearer ${MTA.apiKey}`,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      const subscribers = body?.subscribers;
      if (!Array.isArray(subscribers) || subscribers.length !== 1 || !isE164(subscribers[0]) || typeof body!.message !== "string") return null;
      return { to: subscribers[0], body: body!.message };
    },
    newMessageId: () => fakeId("mta"),
    accepted: (m) => json(200, { success: true, message: "Message Sent to 1 Recipient.", data: { messageId: m.messageId, totalSent: 1 } }),
    unauthorized: () => error(401, "UnauthorizedError", "Invalid API key"),
    malformed: () => error(400, "BadRequestError", "Request is malformed"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "BadRequestError", "Invalid phone number");
        case "auth_failed":
          return error(401, "UnauthorizedError", "Invalid API key");
        case "rate_limited":
          return error(429, "RateLimitError", "Too many requests");
        case "server_error":
          return error(500, "InternalServerError", "Internal server error");
      }
    },
  });
}
