// Telnyx Number Lookup: GET {base}/v2/number_lookup/{E164}?type=carrier, Bearer API key.
// Answers {data: {carrier: {type, name, mobile_country_code, mobile_network_code}, portability: {...}}};
// errors come as {errors: [{code, title, detail}]}.
// https://developers.telnyx.com/api-reference/number-lookup/lookup-phone-number-data
import type { LookupLineType } from "../core/lookup.ts";
import { get, isObject, joinUrl, lookupRefused, networkOf, readJson, reasonForLookupStatus, text, typeKey, unreadable } from "./http.ts";
import type { FetchFn, LookupFailureReason, LookupProvider, LookupProviderCommon } from "./provider.ts";

export interface TelnyxLookupOptions extends LookupProviderCommon {
  apiKey: string;
}

// `carrier.type` values. The API reference lists them in prose ("mobile, fixed line, voip, toll
// free, and more") rather than as a closed enum, so unknown strings read as "unknown", never guessed.
const TYPES: Record<string, LookupLineType> = {
  mobile: "mobile",
  fixedline: "landline",
  landline: "landline",
  voip: "voip",
  tollfree: "toll_free",
  premiumrate: "premium",
  sharedcost: "premium",
  pager: "pager",
  personalnumber: "other",
  voicemail: "other",
  uan: "other",
  // Telnyx may echo libphonenumber's own ambiguity; it decides nothing.
  fixedlineormobile: "unknown",
  unknown: "unknown",
};

// General API codes. https://developers.telnyx.com/development/api-fundamentals/api-errors
const ERRORS: Record<string, LookupFailureReason> = {
  "10001": "invalid_number", // Inactive phone number
  "10002": "invalid_number", // Invalid phone number
  "10016": "invalid_number", // Phone number must be in +E.164 format
  "10009": "auth_failed", // Authentication failed
  "10010": "auth_failed", // Authorization failed
  "10011": "rate_limited", // Too many requests
};

// portability.ported_status: "Y" / "N"; empty or absent outside North America.
const PORTED: Record<string, boolean> = { Y: true, N: false };

export function createTelnyxLookup(options: TelnyxLookupOptions, fetchFn: FetchFn = fetch): LookupProvider {
  if (!options.apiKey) throw new Error("Telnyx Lookup needs TELNYX_API_KEY");
  const base = options.apiBase ?? "https://api.telnyx.com";
  const authorization = `Bearer ${options.apiKey}`;
  const timeoutMs = options.timeoutMs ?? 5_000;

  return {
    name: "telnyx",
    async lookup(e164, lookupOptions = {}) {
      const url = `${joinUrl(base, `/v2/number_lookup/${encodeURIComponent(e164)}`)}?type=carrier`;
      const request = new Request(url, { method: "GET", headers: { authorization, accept: "application/json" } });
      const response = await get("telnyx", fetchFn, request, timeoutMs, lookupOptions.signal);
      const payload = await readJson(response);
      if (!response.ok) {
        const first = isObject(payload) && Array.isArray(payload.errors) && isObject(payload.errors[0]) ? payload.errors[0] : null;
        const code = first && (typeof first.code === "string" || typeof first.code === "number") ? String(first.code) : undefined;
        // A 422 without a code we know is Telnyx refusing the number (e.g. a Canadian number on a US-only account).
        const reason = (code !== undefined ? ERRORS[code] : undefined) ?? (response.status === 422 ? "invalid_number" : reasonForLookupStatus(response.status));
        throw lookupRefused("telnyx", reason, response.status, code);
      }
      const data = isObject(payload) && isObject(payload.data) ? payload.data : null;
      if (!data) throw unreadable("telnyx", response.status);
      if (data.valid_number === false) throw lookupRefused("telnyx", "invalid_number", response.status, "valid_number=false");
      const carrier = isObject(data.carrier) ? data.carrier : {};
      const portability = isObject(data.portability) ? data.portability : {};
      const lineType = TYPES[typeKey(carrier.type)] ?? "unknown";
      // The reference describes mobile_network_code as "national destination code with a 0 prefix"
      // while the guide promises MCC/MNC "on accounts enabled for MCC/MNC data": the two disagree,
      // so only digit-shaped values on a mobile answer are kept.
      const mobile = lineType === "mobile";
      return {
        lineType,
        carrier: text(carrier.normalized_carrier) ?? text(carrier.name),
        ...(mobile ? networkOf(carrier.mobile_country_code, carrier.mobile_network_code) : { mcc: null, mnc: null }),
        ported: typeof portability.ported_status === "string" ? (PORTED[portability.ported_status.toUpperCase()] ?? null) : null,
        source: "telnyx",
        fetchedAt: options.now(),
      };
    },
  };
}
