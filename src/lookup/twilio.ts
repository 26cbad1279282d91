// Twilio Lookup v2, Line Type Intelligence: GET {base}/v2/PhoneNumbers/{E164}?Fields=line_type_intelligence,
// HTTP Basic (Account SID : Auth Token). Errors come as {code, message, status, more_info}.
// https://www.twilio.com/docs/lookup/v2-api/line-type-intelligence
import type { LookupLineType } from "../core/lookup.ts";
import { get, isObject, joinUrl, lookupRefused, networkOf, readJson, reasonForLookupStatus, text, typeKey, unreadable } from "./http.ts";
import type { FetchFn, LookupFailureReason, LookupProvider, LookupProviderCommon } from "./provider.ts";

export interface TwilioLookupOptions extends LookupProviderCommon {
  accountSid: string;
  authToken: string;
}

/** `line_type_intelligence.type` values from the docs, keyed by typeKey(). */
const TYPES: Record<string, LookupLineType> = {
  mobile: "mobile",
  landline: "landline",
  tollfree: "toll_free",
  fixedvoip: "voip",
  nonfixedvoip: "voip",
  premium: "premium",
  // Shared-cost numbers bill the sender above a mobile rate, as premium ones do (policy.ts agrees).
  sharedcost: "premium",
  pager: "pager",
  personal: "other",
  voicemail: "other",
  uan: "other",
  unknown: "unknown",
};

const ERRORS: Record<number, LookupFailureReason> = {
  20003: "auth_failed", // Authentication error
  20404: "not_found", // The requested resource was not found
  20429: "rate_limited", // Too many requests
  60600: "not_found", // Unprovisioned or out of coverage
};

export function createTwilioLookup(options: TwilioLookupOptions, fetchFn: FetchFn = fetch): LookupProvider {
  if (!options.accountSid || !options.authToken) throw new Error("Twilio Lookup needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
  const base = options.apiBase ?? "https://lookups.twilio.com";
  const authorization = `Basic ${btoa(`${options.accountSid}:${options.authToken}`)}`;
  const timeoutMs = options.timeoutMs ?? 5_000;

  return {
    name: "twilio",
    async lookup(e164, lookupOptions = {}) {
      const url = `${joinUrl(base, `/v2/PhoneNumbers/${encodeURIComponent(e164)}`)}?Fields=line_type_intelligence`;
      const request = new Request(url, { method: "GET", headers: { authorization, accept: "application/json" } });
      const response = await get("twilio", fetchFn, request, timeoutMs, lookupOptions.signal);
      const payload = await readJson(response);
      if (!response.ok) {
        const code = isObject(payload) && typeof payload.code === "number" ? payload.code : undefined;
        throw lookupRefused("twilio", (code !== undefined ? ERRORS[code] : undefined) ?? reasonForLookupStatus(response.status), response.status, code);
      }
      if (!isObject(payload) || typeof payload.valid !== "boolean") throw unreadable("twilio", response.status);
      // An invalid number is a 200 with `valid: false` and no line type data.
      if (!payload.valid) throw lookupRefused("twilio", "invalid_number", response.status, "valid=false");
      const lti = payload.line_type_intelligence;
      if (!isObject(lti)) throw unreadable("twilio", response.status);
      // With `error_code` set (60600 out of coverage, 60601..) the type is null: we know nothing more.
      const lineType = TYPES[typeKey(lti.type)] ?? "unknown";
      // MCC/MNC name a mobile network; on other types they would describe the number block, not a SIM.
      const mobile = lineType === "mobile";
      return {
        lineType,
        carrier: text(lti.carrier_name),
        ...(mobile ? networkOf(lti.mobile_country_code, lti.mobile_network_code) : { mcc: null, mnc: null }),
        // Line Type Intelligence does not report porting.
        ported: null,
        source: "twilio",
        fetchedAt: options.now(),
      };
    },
  };
}
