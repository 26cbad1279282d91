// In-process fake of Twilio's Messages API for the contract suite (the node fake in
// test/fakes/fake-twilio.mjs serves the end-to-end tests): form body, Basic auth, {code, message} errors.
import { basicAuth, createFake, isE164, json, LEAK_MARKER, type FakeApi } from "./kit.ts";

export const TWILIO = { accountSid: "AC00000000000000000000000000000001", authToken: "fake-twilio-token", from: "+15005550006" };

const error = (status: number, code: number, message: string) => json(status, { code, message: `${message} ${LEAK_MARKER}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export function fakeTwilio(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: `/2010-04-01/Accounts/${TWILIO.accountSid}/Messages.json`,
    authorized: (r) => r.headers.get("authorization") === basicAuth(TWILIO.accountSid, TWILIO.authToken),
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/x-www-form-urlencoded") return null;
      const form = new URLSearchParams(r.text);
      const to = form.get("To");
      const body = form.get("Body");
      if (!isE164(to) || !body || (!form.get("From") && !form.get("MessagingServiceSid"))) return null;
      return { to, body };
    },
    newMessageId: () => `SM${crypto.randomUUID().replaceAll("-", "")}`,
    accepted: (m) => json(201, { sid: m.messageId, status: "queued", to: m.to, body: m.body }),
    unauthorized: () => error(401, 20003, "Authenticate"),
    malformed: () => error(400, 21604, "A 'To' phone number is required."),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, 21211, "Invalid 'To' Phone Number");
        case "auth_failed":
          return error(401, 20003, "Authenticate");
        case "rate_limited":
          return error(429, 20429, "Too Many Requests");
        case "server_error":
          return error(500, 20500, "Internal Server Error");
      }
    },
  });
}
