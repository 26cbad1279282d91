// The one API both transports call. Validates and normalises input (phone parsing, ranges, service
// name) before any Durable Object is touched, then makes exactly one RPC to the number's object.
import type { Config } from "./config.ts";
import { VerifyError } from "./core/errors.ts";
import { objectIdOf } from "./core/ids.ts";
import { parsePhoneNumber } from "./core/phone.ts";
import { parseCheckRequest, parseStartRequest, parseVerificationId } from "./core/requests.ts";
import type { CheckStatus } from "./core/verification.ts";
import type { DoResult, PhoneVerification, VerificationView } from "./phone-verification.ts";

export type { VerificationView };

export interface CheckResult {
  status: CheckStatus;
  verification: VerificationView;
}

export interface Verifier {
  /** `request` is the wire body as plain data (camelCase); it is validated here. */
  start(request: unknown): Promise<VerificationView>;
  check(request: unknown): Promise<CheckResult>;
  get(verificationId: unknown): Promise<VerificationView>;
  cancel(verificationId: unknown): Promise<VerificationView>;
}

export interface VerifierOptions {
  env: Env;
  config: Config;
  /** The calling service (API keys belong to one); scopes every object and id. */
  service: string;
}

export function createVerifier({ env, config, service }: VerifierOptions): Verifier {
  const namespace = env.PHONE_VERIFICATION as unknown as DurableObjectNamespace<PhoneVerification>;
  const byNumber = (e164: string) => namespace.get(namespace.idFromName(`${service}:${e164}`));
  const byVerificationId = (verificationId: string) => {
    const hex = objectIdOf(verificationId);
    // A malformed id is indistinguishable from an unknown one: same answer, no hint.
    if (!hex) throw new VerifyError("not_found", "verificationId: no such verification", { field: "verificationId" });
    return namespace.get(namespace.idFromString(hex));
  };

  return {
    async start(raw) {
      const request = parseStartRequest(raw);
      const phone = parsePhoneNumber(request.to);
      const ttlSeconds = request.timeoutSeconds ?? config.defaultTimeoutSeconds;
      return unwrap(
        await byNumber(phone.e164).start({
          service,
          to: phone.e164,
          codeLength: request.codeLength ?? config.defaultCodeLength,
          ttlSeconds,
          countryCode: phone.countryCode,
          lineType: phone.lineType,
          externalId: request.externalId,
          tags: request.tags,
          locale: request.locale || "en",
          serviceName: request.serviceName ?? config.defaultServiceName,
        }),
      );
    },

    async check(raw) {
      const request = parseCheckRequest(raw);
      const to = request.to ? parsePhoneNumber(request.to).e164 : "";
      const stub = request.verificationId ? byVerificationId(request.verificationId) : byNumber(to);
      return unwrap(await stub.check({ service, verificationId: request.verificationId, to, code: request.code }));
    },

    async get(raw) {
      const verificationId = parseVerificationId(raw);
      return unwrap(await byVerificationId(verificationId).get({ service, verificationId }));
    },

    async cancel(raw) {
      const verificationId = parseVerificationId(raw);
      return unwrap(await byVerificationId(verificationId).cancel({ service, verificationId }));
    },
  };
}

function unwrap<T>(result: DoResult<T>): T {
  if (result.ok) return result.value;
  throw VerifyError.from(result.refusal);
}

