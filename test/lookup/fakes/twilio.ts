// In-process fake of Twilio Lookup v2 with Line Type Intelligence: Basic auth, `valid: false` for
// numbers it does not know, {code, message, status, more_info} errors.
import { basicAuth, createLookupFake, json, LEAK_MARKER, type FakeLookupApi } from "./kit.ts";

export const TWILIO_LOOKUP = { accountSid: "AC00000000000000000000000000000001", authToken: "fake-twilio-token" };

const error = (status: number, code: number, message: string) =>
  json(status, { code, message: `${message} ${LEAK_MARKER}`, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export function fakeTwilioLookup(baseUrl: string): FakeLookupApi {
  return createLookupFake(baseUrl, {
    route: (url) => {
      const match = /^\/v2\/PhoneNumbers\/([^/]+)$/.exec(url.pathname);
      if (!match || url.searchParams.get("Fields") !== "line_type_intelligence") return null;
      return decodeURIComponent(match[1]!);
    },
    authorized: (r) => r.headers.get("authorization") === basicAuth(TWILIO_LOOKUP.accountSid, TWILIO_LOOKUP.authToken),
    answer: (e164, n) =>
      json(200, {
        calling_country_code: "1",
        country_code: "US",
        phone_number: e164,
        national_format: "(415) 555-0100",
        valid: true,
        validation_errors: [],
        line_type_intelligence: {
          carrier_name: n.carrier ?? null,
          mobile_country_code: n.mcc ?? null,
          mobile_network_code: n.mnc ?? null,
          type: n.type,
          error_code: null,
        },
        url: `https://lookups.twilio.com/v2/PhoneNumbers/${e164}`,
      }),
    unknownNumber: (e164) =>
      json(200, { phone_number: e164, valid: false, validation_errors: ["NOT_A_NUMBER"], line_type_intelligence: null, calling_country_code: null, country_code: null }),
    unauthorized: () => error(401, 20003, "Authenticate"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(404, 20404, "The requested resource was not found");
        case "auth_failed":
          return error(401, 20003, "Authenticate");
        case "rate_limited":
          return error(429, 20429, "Too Many Requests");
        case "server_error":
          return error(503, 20503, "Service Unavailable");
      }
    },
  });
}
