// In-process fake of Plivo's Lookup API: Basic auth, {carrier: {...}} answers, {api_id, error_code, message} errors.
import { basicAuth, createLookupFake, json, LEAK_MARKER, type FakeLookupApi } from "./kit.ts";

export const PLIVO_LOOKUP = { authId: "MAFAKE0123456789ABCD", authToken: "fake-plivo-token" };

const error = (status: number, message: string) => json(status, { api_id: crypto.randomUUID(), error_code: status, message: `${message} ${LEAK_MARKER}` });

export function fakePlivoLookup(baseUrl: string): FakeLookupApi {
  return createLookupFake(baseUrl, {
    route: (url) => {
      const match = /^\/v1\/Number\/([^/]+)$/.exec(url.pathname);
      if (!match || url.searchParams.get("type") !== "carrier") return null;
      return decodeURIComponent(match[1]!);
    },
    authorized: (r) => r.headers.get("authorization") === basicAuth(PLIVO_LOOKUP.authId, PLIVO_LOOKUP.authToken),
    answer: (e164, n) =>
      json(200, {
        api_id: crypto.randomUUID(),
        phone_number: e164,
        country: { name: "United States", iso2: "US", iso3: "USA" },
        format: { e164, national: "(415) 555-0100", international: "+1 415-555-0100", rfc3966: `tel:${e164}` },
        carrier: {
          mobile_country_code: n.mcc ?? "",
          mobile_network_code: n.mnc ?? "",
          name: n.carrier ?? "",
          type: n.type,
          ported: n.ported === undefined ? "unknown" : n.ported ? "yes" : "no",
        },
        resource_uri: `/v1/Number/${e164}?type=carrier`,
      }),
    unknownNumber: () => error(404, "Phone number is invalid or does not exist"),
    unauthorized: () => error(401, "Authentication failed"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return error(400, "Invalid phone number");
        case "auth_failed":
          return error(401, "Authentication failed");
        case "rate_limited":
          return error(429, "Too many requests");
        case "server_error":
          return error(500, "Internal server error");
      }
    },
  });
}
