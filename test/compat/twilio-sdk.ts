// The official `twilio` package pointed at the Worker under test: its request building, response
// parsing and errors are the real ones; only the transport is swapped (a custom `httpClient`, as
// twilio-node supports), so requests reach this Worker instead of Twilio's API.
import { exports } from "cloudflare:workers";
import twilio from "twilio";
import { DEV_KEY } from "../helpers.ts";

// Derived from the dev CODE_SECRET, as docs/migrating.md shows them.
export const ACCOUNT_SID = "ACbcb37791863829aeee408acae65631cc";
export const SERVICE_SID = "VA6958692bf045da6a5f3b37c8127048fd";

export type Fetch = (request: Request) => Promise<Response>;

interface TwilioRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

/** Every request the client made, newest last. */
export const seen: { method: string; url: string; contentType: string | null }[] = [];

/** twilio-node's RequestClient interface, forwarding to the Worker under test. */
export function workerHttpClient(fetchWorker: Fetch) {
  return {
    async request(opts: TwilioRequest) {
      const url = new URL(opts.uri);
      for (const [key, value] of Object.entries(opts.params ?? {})) url.searchParams.append(key, String(value));
      const headers = new Headers(opts.headers);
      if (opts.username !== undefined) headers.set("authorization", `Basic ${btoa(`${opts.username}:${opts.password ?? ""}`)}`);
      const body =
        opts.data && opts.method !== "get"
          ? new URLSearchParams(Object.entries(opts.data).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, String(x)]) : [[k, String(v)]])))
          : undefined;
      seen.push({ method: opts.method, url: url.href, contentType: headers.get("content-type") });
      const response = await fetchWorker(new Request(new URL(url.pathname + url.search, "http://edge-verify.test"), { method: opts.method.toUpperCase(), headers, body }));
      return { statusCode: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
    },
  };
}

export const defaultFetch: Fetch = (request) => exports.default.fetch(request);

/** The Verify service of the built-in service, as `twilio(accountSid, key).verify.v2.services(sid)`. */
export function client(options: { fetch?: Fetch; accountSid?: string; key?: string; serviceSid?: string } = {}) {
  const twilioClient = twilio(options.accountSid ?? ACCOUNT_SID, options.key ?? DEV_KEY, {
    httpClient: workerHttpClient(options.fetch ?? defaultFetch) as never,
  });
  return twilioClient.verify.v2.services(options.serviceSid ?? SERVICE_SID);
}

/** The error a call throws (twilio-node's RestException: status, code, moreInfo). */
export async function failure(call: Promise<unknown>): Promise<{ status: number; code: number; message: string; moreInfo: string }> {
  try {
    await call;
  } catch (error) {
    return error as { status: number; code: number; message: string; moreInfo: string };
  }
  throw new Error("expected the call to fail");
}

/** The dev ADMIN_TOKEN: the account's credential on the account-level resources. */
export const ADMIN_TOKEN = "ev_dev_admin_token";

/** `twilio(accountSid, password).verify.v2`: Services, Safe List, Attempts; the admin token by default. */
export function verifyV2(options: { fetch?: Fetch; accountSid?: string; password?: string } = {}) {
  return twilio(options.accountSid ?? ACCOUNT_SID, options.password ?? ADMIN_TOKEN, {
    httpClient: workerHttpClient(options.fetch ?? defaultFetch) as never,
  }).verify.v2;
}
