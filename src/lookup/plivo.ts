// Plivo Lookup API: GET {base}/v1/Number/{E164}?type=carrier, HTTP Basic (Auth ID : Auth Token),
// base https://lookup.plivo.com, $0.004 a request (read 2026-12-02). Answers {phone_number, country, format, carrier: {mobile_country_code,
// mobile_network_code, name, type, ported}}; errors {api_id, error_code, message}.
// https://www.plivo.com/docs/lookup/api/lookup-phone-number
import type { LookupLineType } from "../core/lookup.ts";
import { get, isObject, joinUrl, lookupRefused, networkOf, readJson, reasonForLookupStatus, text, typeKey, unreadable } from "./http.ts";
import type { FetchFn, LookupProvider, LookupProviderCommon } from "./provider.ts";

export interface PlivoLookupOptions extends LookupProviderCommon {
  authId: string;
  authToken: string;
}

// `carrier.type`: the API reference lists fixed, mobile, voip, toll-free and unknown.
const TYPES: Record<string, LookupLineType> = {
  mobile: "mobile",
  fixed: "landline",
  voip: "voip",
  tollfree: "toll_free",
  unknown: "unknown",
};

// `carrier.ported`: yes, no or unknown (US and Canada only). An older support article shows
// "true"/"false", so those are read too. Plivo warns that with "unknown" the carrier name may be stale.
const PORTED: Record<string, boolean> = { yes: true, no: false, true: true, false: false };

export function createPlivoLookup(options: PlivoLookupOptions, fetchFn: FetchFn = fetch): LookupProvider {
  if (!options.authId || !options.authToken) throw new Error("Plivo Lookup needs PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN");
  const base = options.apiBase ?? "https://lookup.plivo.com";
  const authorization = `Basic ${btoa(`${options.authId}:${options.authToken}`)}`;
  const timeoutMs = options.timeoutMs ?? 5_000;

  return {
    name: "plivo",
    async lookup(e164, lookupOptions = {}) {
      const url = `${joinUrl(base, `/v1/Number/${encodeURIComponent(e164)}`)}?type=carrier`;
      const request = new Request(url, { method: "GET", headers: { authorization, accept: "application/json" } });
      const response = await get("plivo", fetchFn, request, timeoutMs, lookupOptions.signal);
      const payload = await readJson(response);
      if (!response.ok) {
        // The reference names the field error_code; the support FAQ shows {"code": 20404} for an invalid number.
        const raw = isObject(payload) ? (payload.error_code ?? payload.code) : undefined;
        const code = typeof raw === "number" || typeof raw === "string" ? raw : undefined;
        // Plivo answers an unknown or malformed number with 404 and 400; both mean "not a number we can look up".
        const reason = response.status === 404 || response.status === 400 ? "invalid_number" : reasonForLookupStatus(response.status);
        throw lookupRefused("plivo", reason, response.status, code);
      }
      const carrier = isObject(payload) && isObject(payload.carrier) ? payload.carrier : null;
      if (!carrier) throw unreadable("plivo", response.status);
      const lineType = TYPES[typeKey(carrier.type)] ?? "unknown";
      const mobile = lineType === "mobile";
      return {
        lineType,
        carrier: text(carrier.name),
        ...(mobile ? networkOf(carrier.mobile_country_code, carrier.mobile_network_code) : { mcc: null, mnc: null }),
        ported: typeof carrier.ported === "string" || typeof carrier.ported === "boolean" ? (PORTED[String(carrier.ported).toLowerCase()] ?? null) : null,
        source: "plivo",
        fetchedAt: options.now(),
      };
    },
  };
}
