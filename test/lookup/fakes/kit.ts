// What every in-process lookup vendor fake shares: a directory of numbers, routing under a base URL,
// recorded requests, scripted failures (vendor-shaped, hang, stalled body, garbled 2xx, dropped
// connection). Built on the SMS fakes' kit; a vendor fake only describes its API.
import type { FetchFn } from "../../../src/sms/sender.ts";
import { LEAK_MARKER, type FailureKind, type RecordedRequest } from "../../sms/fakes/kit.ts";

export { basicAuth, json, LEAK_MARKER } from "../../sms/fakes/kit.ts";

/** A number as the fake's vendor knows it: `type` is the vendor's own line type string. */
export interface FakeNumber {
  type: string;
  carrier?: string;
  mcc?: string;
  mnc?: string;
  ported?: boolean;
}

export type LookupFailureKind = FailureKind;

export interface LookupVendorSpec {
  /** The number a request asks about, or null when the path or query is not the vendor's. */
  route(url: URL): string | null;
  authorized(request: RecordedRequest): boolean;
  answer(e164: string, number: FakeNumber): Response;
  /** The vendor's answer for a number it does not know (invalid / not found). */
  unknownNumber(e164: string): Response;
  unauthorized(): Response;
  failure(kind: "invalid_number" | "auth_failed" | "rate_limited" | "server_error"): Response;
}

export interface FakeLookupApi {
  readonly requests: RecordedRequest[];
  /** Numbers the fake answered a lookup for, in order. */
  readonly lookedUp: string[];
  readonly errorTexts: string[];
  numbers: Map<string, FakeNumber>;
  failNext(kind: LookupFailureKind): void;
  fetch: FetchFn;
}

export function createLookupFake(baseUrl: string, spec: LookupVendorSpec): FakeLookupApi {
  const base = new URL(baseUrl.replace(/\/+$/, "") + "/");
  const requests: RecordedRequest[] = [];
  const lookedUp: string[] = [];
  const errorTexts: string[] = [];
  const script: LookupFailureKind[] = [];
  const numbers = new Map<string, FakeNumber>();

  const recordError = async (response: Response): Promise<Response> => {
    errorTexts.push(await response.clone().text());
    return response;
  };

  async function handle(request: Request, signal?: AbortSignal | null): Promise<Response> {
    const recorded: RecordedRequest = { method: request.method, url: request.url, headers: request.headers, text: await request.text() };
    requests.push(recorded);
    const kind = script.shift();
    if (kind === "hang") {
      return new Promise((_, reject) => {
        signal?.addEventListener("abort", () => reject(new DOMException("The operation was aborted", "AbortError")));
      });
    }
    if (kind === "stall") {
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"partial":')) }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    if (kind === "garbled") return new Response("<html>502 bad gateway from some proxy</html>", { status: 200 });
    const url = new URL(recorded.url);
    // The fake lives under its base path: a client that drops a path prefix never reaches it.
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return recordError(new Response("no such route", { status: 404 }));
    const inner = new URL(url.pathname.slice(base.pathname.length - 1) + url.search, "https://vendor.invalid");
    const e164 = spec.route(inner);
    if (recorded.method !== "GET" || e164 === null) return recordError(new Response(`no such route ${LEAK_MARKER}`, { status: 404 }));
    if (!spec.authorized(recorded)) return recordError(spec.unauthorized());
    if (kind) return recordError(spec.failure(kind as "invalid_number" | "auth_failed" | "rate_limited" | "server_error"));
    const number = numbers.get(e164);
    if (!number) return recordError(spec.unknownNumber(e164));
    lookedUp.push(e164);
    return spec.answer(e164, number);
  }

  return {
    requests,
    lookedUp,
    errorTexts,
    numbers,
    failNext: (kind) => void script.push(kind),
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
