// In-process fake of Vonage Number Insight Standard: HTTP Basic with key and secret, HTTP 200 with
// a `status` for everything, current_carrier.network_code as MCC+MNC.
import { basicAuth, createLookupFake, json, LEAK_MARKER, type FakeLookupApi } from "./kit.ts";

export const VONAGE_LOOKUP = { apiKey: "abcd1234", apiSecret: "fake-vonage-secret" };

const status = (code: number, message: string) => json(200, { status: code, status_message: `${message} ${LEAK_MARKER}`, request_id: crypto.randomUUID() });

export function fakeVonageLookup(baseUrl: string): FakeLookupApi {
  return createLookupFake(baseUrl, {
    route: (url) => {
      if (url.pathname !== "/ni/standard/json") return null;
      const number = url.searchParams.get("number") ?? "";
      // The docs give `number` in international format; the fake accepts digits only, as we send them.
      return /^[1-9]\d{6,14}$/.test(number) ? `+${number}` : null;
    },
    authorized: (r) => r.headers.get("authorization") === basicAuth(VONAGE_LOOKUP.apiKey, VONAGE_LOOKUP.apiSecret),
    answer: (e164, n) =>
      json(200, {
        status: 0,
        status_message: "Success",
        request_id: crypto.randomUUID(),
        international_format_number: e164.slice(1),
        national_format_number: "(415) 555-0100",
        country_code: "US",
        country_code_iso3: "USA",
        country_name: "United States of America",
        country_prefix: "1",
        request_price: "0.00500000",
        remaining_balance: "10.000000",
        current_carrier: { network_code: n.mcc && n.mnc ? n.mcc + n.mnc : "", name: n.carrier ?? "", country: "US", network_type: n.type },
        original_carrier: { network_code: "", name: "", country: "US", network_type: n.type },
        ...(n.ported === undefined ? {} : { ported: n.ported ? "ported" : "not_ported" }),
      }),
    unknownNumber: () => status(3, "Invalid request"),
    unauthorized: () => status(4, "Invalid credentials"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return status(3, "Invalid request");
        case "auth_failed":
          return status(4, "Invalid credentials");
        case "rate_limited":
          return status(1, "Throttled");
        case "server_error":
          return status(5, "Internal error");
      }
    },
  });
}
