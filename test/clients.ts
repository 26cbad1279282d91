// The same small client over REST and over Connect, so behaviour tests run on both transports.
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { exports } from "cloudflare:workers";
import { CheckStatus, VerificationService, VerificationStatus } from "../src/gen/verify/v1/verification_pb.ts";
import { call, DEV_KEY } from "./helpers.ts";

export interface Answer {
  /** HTTP-ish outcome: "ok" or the error code name (resource_exhausted, invalid_argument, ...). */
  code: string;
  /** Check status or verification status (lowercase), when ok. */
  status?: string;
  id?: string;
  risk?: string[];
  replayed?: boolean;
  retryAfterSeconds?: number;
  rule?: string;
  provider?: string;
  failureReason?: string;
}

export interface TestClient {
  name: string;
  start(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Answer>;
  check(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Answer>;
}

const lower = (name: string) => name.toLowerCase();

export const rest: TestClient = {
  name: "REST",
  async start(body, headers = {}) {
    return restAnswer(await call("POST", "/v1/verifications", body, headers), (b) => b);
  },
  async check(body, headers = {}) {
    return restAnswer(await call("POST", "/v1/verifications/check", body, headers), (b) => ({ ...b.verification, status: b.status }));
  },
};

async function restAnswer(response: Response, pick: (body: any) => any): Promise<Answer> {
  const body = (await response.json()) as any;
  if (!response.ok) {
    const detail = body.details?.[0] ?? {};
    const retryAfter = response.headers.get("retry-after");
    return { code: body.code, rule: detail.rule, retryAfterSeconds: retryAfter === null ? undefined : Number(retryAfter) };
  }
  const v = pick(body);
  return {
    code: "ok",
    status: v.status,
    id: v.id,
    risk: v.risk,
    replayed: response.headers.get("idempotent-replayed") === "true",
    provider: v.provider,
    failureReason: v.failureReason,
  };
}

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
const rpc = createClient(VerificationService, createConnectTransport({ baseUrl: "http://edge-verify.test", fetch: workerFetch, useBinaryFormat: true }));

async function connectAnswer(run: (headers: Headers) => Promise<Answer>, extra: Record<string, string>): Promise<Answer> {
  try {
    return await run(new Headers({ authorization: `Bearer ${DEV_KEY}`, ...extra }));
  } catch (error) {
    const e = ConnectError.from(error);
    const retryAfter = e.metadata.get("retry-after");
    return {
      code: CODE_NAMES[e.code] ?? String(e.code),
      rule: e.metadata.get("x-verify-rule") ?? undefined,
      retryAfterSeconds: retryAfter === null ? undefined : Number(retryAfter),
    };
  }
}

const CODE_NAMES: Record<number, string> = {
  3: "invalid_argument",
  5: "not_found",
  7: "permission_denied",
  8: "resource_exhausted",
  9: "failed_precondition",
  10: "aborted",
  14: "unavailable",
  16: "unauthenticated",
};

export const connect: TestClient = {
  name: "Connect",
  start(body, extra = {}) {
    return connectAnswer(async (headers) => {
      let replayed = false;
      const { verification } = await rpc.startVerification(body as any, {
        headers,
        onHeader: (h) => {
          replayed = h.get("idempotent-replayed") === "true";
        },
      });
      return {
        code: "ok",
        status: lower(VerificationStatus[verification!.status]),
        id: verification!.id,
        risk: verification!.risk,
        replayed,
        provider: verification!.provider,
        failureReason: verification!.failureReason,
      };
    }, extra);
  },
  check(body, extra = {}) {
    return connectAnswer(async (headers) => {
      let replayed = false;
      const result = await rpc.checkVerification(body as any, {
        headers,
        onHeader: (h) => {
          replayed = h.get("idempotent-replayed") === "true";
        },
      });
      return { code: "ok", status: lower(CheckStatus[result.status]), id: result.verification!.id, replayed };
    }, extra);
  },
};

export const CLIENTS: TestClient[] = [rest, connect];
