// Vonage Number Insight Standard: GET {base}/ni/standard/json?number={digits}, HTTP Basic with the
// API key and secret (the reference also accepts api_key/api_secret in the query; the header keeps the
// secret out of URLs that proxies log). HTTP 200 with a `status` (0 = success) for most outcomes.
// Vonage sunsets Number Insight on 2027-02-04 (successor: Identity Insights API).
// https://developer.vonage.com/en/api/number-insight
import type { LookupLineType } from "../core/lookup.ts";
import { get, isObject, joinUrl, lookupRefused, readJson, reasonForLookupStatus, text, typeKey, unreadable, withoutPlus } from "./http.ts";
import type { FetchFn, LookupFailureReason, LookupProvider, LookupProviderCommon } from "./provider.ts";

export interface VonageLookupOptions extends LookupProviderCommon {
  apiKey: string;
  apiSecret: string;
}

// current_carrier.network_type.
const TYPES: Record<string, LookupLineType> = {
  mobile: "mobile",
  landline: "landline",
  landlinepremium: "premium",
  landlinetollfree: "toll_free",
  virtual: "voip",
  pager: "pager",
  unknown: "unknown",
};

// Number Insight `status` codes.
const STATUS: Record<string, LookupFailureReason> = {
  "1": "rate_limited", // Throttled
  "3": "invalid_number", // Invalid request parameters (the only one we vary is `number`)
  "4": "auth_failed", // Invalid credentials
  "5": "unavailable", // Internal error
  "9": "auth_failed", // Partner quota exceeded: the account is out of credit, nothing will pass
  "19": "auth_failed", // Facility not allowed (the plan lacks Standard)
};

// `ported` is documented for Advanced; Standard answers may carry it, so it is read when present.
const PORTED: Record<string, boolean> = { ported: true, assumed_ported: true, not_ported: false, assumed_not_ported: false };

export function createVonageLookup(options: VonageLookupOptions, fetchFn: FetchFn = fetch): LookupProvider {
  if (!options.apiKey || !options.apiSecret) throw new Error("Vonage Number Insight needs VONAGE_API_KEY and VONAGE_API_SECRET");
  const base = options.apiBase ?? "https://api.nexmo.com";
  const timeoutMs = options.timeoutMs ?? 5_000;
  const authorization = `Basic ${btoa(`${options.apiKey}:${options.apiSecret}`)}`;

  return {
    name: "vonage",
    async lookup(e164, lookupOptions = {}) {
      const query = new URLSearchParams({ number: withoutPlus(e164) });
      const request = new Request(`${joinUrl(base, "/ni/standard/json")}?${query}`, { method: "GET", headers: { authorization, accept: "application/json" } });
      const response = await get("vonage", fetchFn, request, timeoutMs, lookupOptions.signal);
      const payload = await readJson(response);
      if (!response.ok) throw lookupRefused("vonage", reasonForLookupStatus(response.status), response.status);
      if (!isObject(payload) || payload.status === undefined) throw unreadable("vonage", response.status);
      const status = String(payload.status);
      if (status !== "0") throw lookupRefused("vonage", STATUS[status] ?? "unavailable", response.status, status);
      const carrier = isObject(payload.current_carrier) ? payload.current_carrier : {};
      const lineType = TYPES[typeKey(carrier.network_type)] ?? "unknown";
      // network_code is MCC and MNC run together ("310260", "23410"); only a mobile answer has a real one.
      const networkCode = lineType === "mobile" ? text(carrier.network_code) : null;
      const split = networkCode && /^\d{5,6}$/.test(networkCode) ? { mcc: networkCode.slice(0, 3), mnc: networkCode.slice(3) } : { mcc: null, mnc: null };
      return {
        lineType,
        carrier: text(carrier.name),
        ...split,
        ported: typeof payload.ported === "string" ? (PORTED[payload.ported] ?? null) : null,
        source: "vonage",
        fetchedAt: options.now(),
      };
    },
  };
}
