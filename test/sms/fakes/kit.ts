// What every in-process vendor fake shares: routing under a base URL, recording requests, scripted
// failures (vendor-shaped, a hang, a garbled 2xx, a dropped connection), and the fetch to inject.
// A fake only describes its vendor: auth check, request decoding, success and error bodies.
import type { FetchFn } from "../../../src/sms/sender.ts";

/** Put into every vendor error text: if it ever shows up in an SmsSendError, raw vendor text leaked. */
export const LEAK_MARKER = "vendor-internal-detail-9f2c";

export type VendorFailure = "invalid_number" | "auth_failed" | "rate_limited" | "server_error";
export type FailureKind = VendorFailure | "hang" | "stall" | "garbled" | "network";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  text: string;
}

export interface SentMessage {
  /** Destination as E.164, whatever encoding the vendor uses on the wire. */
  to: string;
  body: string;
  messageId: string;
}

export interface VendorSpec {
  /** Path under the base URL, e.g. "/sms/json". */
  path: string;
  /** Whether the request carries the vendor's credentials in the vendor's way. */
  authorized(request: RecordedRequest): boolean | Promise<boolean>;
  /** Decodes a send per the vendor's docs (encoding, field names, number format); null = malformed. */
  decode(request: RecordedRequest): { to: string; body: string; messageId?: string } | null;
  newMessageId(): string;
  accepted(message: SentMessage): Response;
  /** The vendor's answer to bad credentials. */
  unauthorized(): Response;
  /** The vendor's answer to a request it cannot parse. */
  malformed(): Response;
  failure(kind: VendorFailure): Response;
}

export interface FakeApi {
  readonly requests: RecordedRequest[];
  readonly sent: SentMessage[];
  /** Texts of the error responses the fake gave, so tests can prove the leak check can fail. */
  readonly errorTexts: string[];
  failNext(kind: FailureKind): void;
  handle(request: Request, signal?: AbortSignal | null): Promise<Response>;
  /** The fetch to inject: only requests under the fake's base URL reach it. */
  fetch: FetchFn;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

/** "447700900000" → "+447700900000"; anything but digits is refused (null). */
export function e164FromDigits(digits: unknown): string | null {
  return typeof digits === "string" && /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : null;
}

export function isE164(value: unknown): value is string {
  return typeof value === "string" && /^\+[1-9]\d{6,14}$/.test(value);
}

export function parseJson(text: string): Record<string, any> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, any>) : null;
  } catch {
    return null;
  }
}

let counter = 0;
export function fakeId(prefix: string): string {
  counter++;
  return `${prefix}${counter.toString(16).padStart(8, "0")}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

export function createFake(baseUrl: string, spec: VendorSpec): FakeApi {
  const base = baseUrl.replace(/\/+$/, "");
  const requests: RecordedRequest[] = [];
  const sent: SentMessage[] = [];
  const errorTexts: string[] = [];
  const script: FailureKind[] = [];

  const recordError = async (response: Response): Promise<Response> => {
    errorTexts.push(await response.clone().text());
    return response;
  };

  async function handle(request: Request, signal?: AbortSignal | null): Promise<Response> {
    const recorded: RecordedRequest = { method: request.method, url: request.url, headers: request.headers, text: await request.text() };
    requests.push(recorded);
    const kind = script.shift();
    if (kind === "hang") {
      // Never answers; only the caller's abort ends the wait, as with a stuck TCP connection.
      return new Promise((_, reject) => {
        if (!signal) return;
        signal.addEventListener("abort", () => reject(new DOMException("The operation was aborted", "AbortError")));
      });
    }
    if (kind === "stall") {
      // Headers arrive, then the body never finishes.
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"partial":')) }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (kind === "garbled") return new Response("<html>502 bad gateway from some proxy</html>", { status: 200 });
    if (!recorded.url.startsWith(`${base}/`) || new URL(recorded.url).pathname !== new URL(`${base}${spec.path}`).pathname) {
      return recordError(new Response("no such route", { status: 404 }));
    }
    if (recorded.method !== "POST") return recordError(new Response("method not allowed", { status: 405 }));
    if (!(await spec.authorized(recorded))) return recordError(spec.unauthorized());
    const decoded = spec.decode(recorded);
    if (!decoded) return recordError(spec.malformed());
    if (kind) return recordError(spec.failure(kind as VendorFailure));
    const message: SentMessage = { to: decoded.to, body: decoded.body, messageId: decoded.messageId ?? spec.newMessageId() };
    sent.push(message);
    return spec.accepted(message);
  }

  return {
    requests,
    sent,
    errorTexts,
    failNext: (kind) => void script.push(kind),
    handle,
    fetch: async (input, init) => {
      if (script[0] === "network") {
        script.shift();
        throw new TypeError("Network connection lost.");
      }
      const request = new Request(input, init);
      return handle(request, init?.signal ?? (input instanceof Request ? input.signal : null));
    },
  };
}
