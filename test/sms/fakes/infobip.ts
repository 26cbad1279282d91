// Fake Infobip SMS: POST /sms/2/text/advanced, `Authorization: App <key>`, JSON
// {messages: [{from, destinations: [{to}], text}]}; 200 with a per-destination status (REJECTED
// is group 5), or {requestError: {serviceException: {messageId, text}}} for request errors.
import { createFake, e164FromDigits, fakeId, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const INFOBIP = { apiKey: "fake-infobip-key-0123456789", from: "AcmeCo" };

const serviceError = (status: number, messageId: string, text: string) =>
  json(status, { requestError: { serviceException: { messageId, text: `${text} ${LEAK_MARKER}` } } });

export const infobipRejection = (to: string, id: number, name: string) =>
  json(200, {
    bulkId: crypto.randomUUID(),
    messages: [{ to, messageId: crypto.randomUUID(), status: { groupId: 5, groupName: "REJECTED", id, name, description: `${name} ${LEAK_MARKER}` } }],
  });

export function fakeInfobip(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/sms/2/text/advanced",
    authorized: (r) => r.headers.get("authorization") === `App ${INFOBIP.apiKey}`,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      const message = Array.isArray(body?.messages) && body.messages.length === 1 ? body.messages[0] : null;
      const destinations = message?.destinations;
      if (!Array.isArray(destinations) || destinations.length !== 1 || typeof message.text !== "string") return null;
      const to = e164FromDigits(destinations[0]?.to);
      return to ? { to, body: message.text } : null;
    },
    newMessageId: () => fakeId("2250be2d"),
    accepted: (m) =>
      json(200, {
        bulkId: crypto.randomUUID(),
        messages: [{ to: m.to.slice(1), messageId: m.messageId, status: { groupId: 1, groupName: "PENDING", id: 26, name: "PENDING_ACCEPTED", description: "Message sent to next instance" } }],
      }),
    unauthorized: () => serviceError(401, "UNAUTHORIZED", "Invalid login details"),
    malformed: () => serviceError(400, "BAD_REQUEST", "Bad request"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          // Infobip answers 200 and rejects the destination in its status.
          return infobipRejection("44770090", 51, "REJECTED_DESTINATION");
        case "auth_failed":
          return serviceError(401, "UNAUTHORIZED", "Invalid login details");
        case "rate_limited":
          return serviceError(429, "TOO_MANY_REQUESTS", "Too many requests");
        case "server_error":
          return serviceError(500, "GENERAL_ERROR", "Something went wrong");
      }
    },
  });
}
