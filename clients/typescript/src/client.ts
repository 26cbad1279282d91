// createVerifyClient: start/check/get/cancel over Connect (binary protobuf on fetch), plain objects
// in and out, a fresh Idempotency-Key per logical call reused by all of its retries, typed errors.
import type { DescEnum, DescMessage, JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { NetworkError, toVerifyClientError } from "./errors.ts";
import { retryDelayMs, retryPolicy, type RetryOptions } from "./retry.ts";
import {
  CheckStatus as CheckStatusEnum,
  VerificationSchema,
  VerificationService,
  type StartVerificationRequestSchema,
  type Verification as VerificationMessage,
} from "./gen.ts";

export interface VerifyClientOptions {
  /** Where the Worker is served, e.g. `https://verify.example.com`. */
  baseUrl: string;
  /** One of the deployment's `API_KEYS`. Keep it on your server: never ship it to a browser you do not control. */
  apiKey: string;
  /** A fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Retry policy, or `false` for a single attempt. */
  retry?: RetryOptions | false;
  /** Per-attempt deadline, sent as `Connect-Timeout-Ms`. Default none. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Your own key for this logical call (1-255 printable ASCII), e.g. derived from your request id. Default: a random UUID. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** StartVerification's fields in proto JSON names (camelCase); `to` is required. */
export type StartRequest = Omit<MessageInitShape<typeof StartVerificationRequestSchema>, "$typeName" | "to"> & { to: string };

/** A check by verification id, by number (its latest pending verification), or both (must match). */
export type CheckRequest = { code: string } & ({ verificationId: string; to?: string } | { to: string; verificationId?: string });

export type VerificationStatus = "pending" | "approved" | "canceled" | "expired" | "max_attempts_reached" | "failed";
export type CheckStatus = "approved" | "invalid" | "expired" | "max_attempts_reached" | "canceled";

/**
 * A verification exactly as the REST API renders it: proto JSON names, RFC 3339 times, enums as
 * lowercase words. Fields the server adds later are present at run time before they are typed here.
 */
export interface Verification {
  id: string;
  to: string;
  status: VerificationStatus;
  channel: string;
  createTime: string;
  updateTime: string;
  expireTime: string;
  sendAttempts: number;
  checkAttempts: number;
  messageId: string;
  lookup?: { countryCode: string; lineType: string };
  externalId: string;
  tags: Record<string, string>;
  failureReason: string;
  risk: string[];
  provider: string;
  locale: string;
}

export interface CheckResult {
  status: CheckStatus;
  verification: Verification;
}

export interface VerifyClient {
  /** Sends a code to `request.to`; a pending verification for the number gets a new code. */
  start(request: StartRequest, options?: CallOptions): Promise<Verification>;
  /** Checks a code. Wrong, expired or exhausted codes are answers (`status`), not errors. */
  check(request: CheckRequest, options?: CallOptions): Promise<CheckResult>;
  get(verificationId: string, options?: Pick<CallOptions, "signal">): Promise<Verification>;
  cancel(verificationId: string, options?: CallOptions): Promise<Verification>;
}

export function createVerifyClient(options: VerifyClientOptions): VerifyClient {
  if (!/^https?:\/\//.test(options.baseUrl)) throw new TypeError("baseUrl: must be an http(s) URL");
  if (!options.apiKey) throw new TypeError("apiKey: required");
  const policy = retryPolicy(options.retry);
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // Marks "no response at all" so it can be told apart from an answer; aborts stay aborts.
  const fetchMarkingNetworkErrors: typeof globalThis.fetch = async (input, init) => {
    try {
      return await baseFetch(input, init);
    } catch (error) {
      if (init?.signal?.aborted) throw error;
      throw new NetworkError(error);
    }
  };
  const rpc = createClient(
    VerificationService,
    createConnectTransport({ baseUrl: options.baseUrl, fetch: fetchMarkingNetworkErrors, useBinaryFormat: true }),
  );
  const authorization = `Bearer ${options.apiKey}`;

  /** Runs one logical call: same headers (same key) on every attempt, waits per the policy. */
  async function call<T>(idempotencyKey: string | null, signal: AbortSignal | undefined, attempt: (headers: Headers) => Promise<T>): Promise<T> {
    const headers = new Headers({ authorization });
    if (idempotencyKey !== null) headers.set("idempotency-key", idempotencyKey);
    for (let attempts = 1; ; attempts++) {
      try {
        return await attempt(headers);
      } catch (thrown) {
        const error = toVerifyClientError(thrown);
        const delay = signal?.aborted ? null : retryDelayMs(error, attempts, policy);
        if (delay === null) throw error;
        await policy.sleep(delay, signal);
      }
    }
  }
  const keyOf = (o: CallOptions | undefined) => o?.idempotencyKey ?? randomKey();
  const callOptions = (headers: Headers, signal: AbortSignal | undefined) => ({ headers, signal, timeoutMs: options.timeoutMs });

  return {
    async start(request, o) {
      const { verification } = await call(keyOf(o), o?.signal, (h) => rpc.startVerification(request, callOptions(h, o?.signal)));
      return plainVerification(verification);
    },
    async check(request, o) {
      const result = await call(keyOf(o), o?.signal, (h) => rpc.checkVerification(request, callOptions(h, o?.signal)));
      return { status: enumWord(CHECK_STATUS, result.status) as CheckStatus, verification: plainVerification(result.verification) };
    },
    async get(verificationId, o) {
      // A read: nothing to deduplicate, so no key; retried like the others.
      const { verification } = await call(null, o?.signal, (h) => rpc.getVerification({ verificationId }, callOptions(h, o?.signal)));
      return plainVerification(verification);
    },
    async cancel(verificationId, o) {
      const { verification } = await call(keyOf(o), o?.signal, (h) => rpc.cancelVerification({ verificationId }, callOptions(h, o?.signal)));
      return plainVerification(verification);
    },
  };
}

/** 128 random bits as hex. getRandomValues, unlike randomUUID, also works outside secure contexts. */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

const CHECK_STATUS: Record<number, string> = CheckStatusEnum;

/** Enum value → the REST word: CheckStatus.MAX_ATTEMPTS_REACHED → "max_attempts_reached"; 0 → "". */
function enumWord(names: Record<number, string>, value: number): string {
  return value === 0 ? "" : (names[value] ?? String(value)).toLowerCase();
}

function enumFieldWord(desc: DescEnum, value: number): string {
  return value === 0 ? "" : (desc.value[value]?.localName ?? String(value)).toLowerCase();
}

/** Proto JSON of the message, with every enum (and enum list) field turned into REST words. */
function plainVerification(message: VerificationMessage | undefined): Verification {
  if (!message) throw toVerifyClientError(new Error("response without a verification"));
  return plain(VerificationSchema, message) as unknown as Verification;
}

function plain(schema: DescMessage, message: Record<string, unknown> & { $typeName: string }): JsonObject {
  const json = toJson(schema, message as never, { alwaysEmitImplicit: true }) as JsonObject;
  for (const field of schema.fields) {
    const value = message[field.localName];
    if (field.fieldKind === "enum") json[field.jsonName] = enumFieldWord(field.enum, value as number);
    if (field.fieldKind === "list" && field.listKind === "enum") json[field.jsonName] = (value as number[]).map((v) => enumFieldWord(field.enum, v));
  }
  return json;
}
