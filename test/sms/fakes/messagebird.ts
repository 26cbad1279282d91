// Fake MessageBird SMS API: POST /messages, `Authorization: AccessKey <key>`, JSON
// {originator, recipients, body, datacoding?}; 201 {id, ...} or {errors: [{code, description, parameter}]}.
// Like the real API, `datacoding` defaults to "plain" and a plain message loses what GSM 03.38
// cannot hold (recorded as "?"), so a sender that forgets unicode fails the contract, not a phone.
import { isGsm7 } from "../../../src/core/sms-encoding.ts";
import { createFake, e164FromDigits, fakeId, json, parseJson, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const MESSAGEBIRD = { accessKey: "live_fakeMessageBirdKey01234", from: "AcmeCo" };

const errors = (status: number, code: number, description: string, parameter: string | null) =>
  json(status, { errors: [{ code, description: `${description} ${LEAK_MARKER}`, parameter }] });

export function fakeMessageBird(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/messages",
    authorized: (r) => r.headers.get("authorization") === `AccessKey ${MESSAGEBIRD.accessKey}`,
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      const recipients = body?.recipients;
      if (!Array.isArray(recipients) || recipients.length !== 1 || typeof body!.body !== "string" || !body!.originator) return null;
      const datacoding = body!.datacoding ?? "plain";
      if (datacoding !== "plain" && datacoding !== "unicode" && datacoding !== "auto") return null;
      const to = e164FromDigits(String(recipients[0]));
      const text: string = body!.body;
      const unicode = datacoding === "unicode" || (datacoding === "auto" && !isGsm7(text));
      const delivered = unicode ? text : [...text].map((char) => (isGsm7(char) ? char : "?")).join("");
      return to ? { to, body: delivered } : null;
    },
    newMessageId: () => fakeId("49e40bae"),
    accepted: (m) =>
      json(201, {
        id: m.messageId,
        href: `https://rest.messagebird.com/messages/${m.messageId}`,
        direction: "mt",
        type: "sms",
        originator: MESSAGEBIRD.from,
        body: m.body,
        recipients: { totalCount: 1, totalSentCount: 1, items: [{ recipient: Number(m.to.slice(1)), status: "sent" }] },
      }),
    unauthorized: () => errors(401, 2, "Request not allowed (incorrect access_key)", "access_key"),
    malformed: () => errors(422, 9, "no (correct) recipients found", "recipients"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return errors(422, 10, "recipients is invalid", "recipients");
        case "auth_failed":
          return errors(401, 2, "Request not allowed (incorrect access_key)", "access_key");
        case "rate_limited":
          return errors(429, 429, "Too many requests", null);
        case "server_error":
          return errors(500, 99, "Internal error", null);
      }
    },
  });
}
