// In-process fake of Telnyx Number Lookup: Bearer key, {data: {...}} answers, {errors: [...]} errors.
import { createLookupFake, json, LEAK_MARKER, type FakeLookupApi } from "./kit.ts";

export const TELNYX_LOOKUP = { apiKey: "KEY0123456789FAKE" };

const error = (status: number, code: string, title: string) => json(status, { errors: [{ code, title, detail: `${title} ${LEAK_MARKER}` }] });

export function fakeTelnyxLookup(baseUrl: string): FakeLookupApi {
  return createLookupFake(baseUrl, {
    route: (url) => {
      const match = /^\/v2\/number_lookup\/([^/]+)$/.exec(url.pathname);
      if (!match || url.searchParams.get("type") !== "carrier") return null;
      return decodeURIComponent(match[1]!);
    },
    authorized: (r) => r.headers.get("authorization") === `Bearer ${TELNYX_LOOKUP.apiKey}`,
    answer: (e164, n) =>
      json(200, {
        data: {
          record_type: "number_lookup",
          phone_number: e164,
          country_code: "US",
          national_format: "(415) 555-0100",
          valid_number: true,
          fraud: null,
          carrier: {
            type: n.type,
            name: n.carrier ?? "",
            normalized_carrier: n.carrier ?? "",
            mobile_country_code: n.mcc ?? "",
            mobile_network_code: n.mnc ?? "",
            error_code: null,
          },
          portability: {
            ported_status: n.ported === undefined ? "" : n.ported ? "Y" : "N",
            ported_date: n.ported ? "2024-03-01" : "",
            lrn: "4155550000",
            spid_carrier_name: n.carrier ?? "",
          },
        },
      }),
    unknownNumber: () => error(422, "10002", "Invalid phone number"),
    unauthorized: () => error(401, "10009", "Authentication failed"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(422, "10002", "Invalid phone number");
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
