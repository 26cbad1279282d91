// Connect transport for VerificationService: proto message → typed request → verifier → proto
// message. Proto zero values become "not given", enums become names; the rules the proto cannot
// express are core/requests.ts's validators, the same ones REST calls.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createContextKey, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Channel,
  CheckStatus,
  DeliveryStatus,
  LookupSchema,
  VerificationSchema,
  VerificationService,
  VerificationStatus,
  type CheckVerificationRequest,
  type StartVerificationRequest,
  type Verification,
} from "../gen/verify/v1/verification_pb.ts";
import type { DeliveryStatus as CoreDeliveryStatus } from "../core/delivery.ts";
import { VerifyError, type RateLimitItem } from "../core/errors.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { lookupView, type LookupView } from "../core/lookup.ts";
import type { Channel as CoreChannel, CheckStatus as CoreCheckStatus, VerificationStatus as CoreStatus } from "../core/verification.ts";
import {
  channelOf,
  parseIdempotencyKey,
  validateCheckRequest,
  validateStartRequest,
  validateVerificationId,
  type CheckRequest,
  type StartRequest,
} from "../core/requests.ts";
import type { CallOptions, Verifier, VerificationView } from "../verifier.ts";

/** The authenticated caller's verifier, or null when authentication failed. */
export const kVerifier = createContextKey<Verifier | null>(null, { description: "verifier" });

/** `Idempotency-Key` (or `X-Request-Id`) request header, as over REST. */
function callOptions(ctx: HandlerContext): CallOptions {
  const header = ctx.requestHeader.has("idempotency-key") ? "Idempotency-Key" : "X-Request-Id";
  return { idempotencyKey: parseIdempotencyKey(ctx.requestHeader.get(header) ?? undefined, header) };
}

/** Response headers: `Idempotent-Replayed` on a replay, the number's RateLimit fields (as REST sends them). */
function markReplay(ctx: HandlerContext, replayed: boolean, rateLimits: readonly RateLimitItem[] = []): void {
  if (replayed) ctx.responseHeader.set("idempotent-replayed", "true");
  for (const [name, value] of Object.entries(rateLimitFields(rateLimits))) ctx.responseHeader.set(name, value);
}

export function verifierOf(ctx: HandlerContext): Verifier {
  const verifier = ctx.values.get(kVerifier);
  if (!verifier) throw new VerifyError("unauthenticated", "missing or invalid API key (Authorization: Bearer <key>)");
  return verifier;
}

const STATUS: Record<CoreStatus, VerificationStatus> = {
  pending: VerificationStatus.PENDING,
  approved: VerificationStatus.APPROVED,
  canceled: VerificationStatus.CANCELED,
  expired: VerificationStatus.EXPIRED,
  max_attempts_reached: VerificationStatus.MAX_ATTEMPTS_REACHED,
  failed: VerificationStatus.FAILED,
};

const CHECK_STATUS: Record<CoreCheckStatus, CheckStatus> = {
  approved: CheckStatus.APPROVED,
  invalid: CheckStatus.INVALID,
  expired: CheckStatus.EXPIRED,
  max_attempts_reached: CheckStatus.MAX_ATTEMPTS_REACHED,
  canceled: CheckStatus.CANCELED,
};

const DELIVERY_STATUS: Record<CoreDeliveryStatus, DeliveryStatus> = {
  queued: DeliveryStatus.QUEUED,
  sent: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  undelivered: DeliveryStatus.UNDELIVERED,
  failed: DeliveryStatus.FAILED,
};
const CHANNEL: Record<CoreChannel, Channel> = { sms: Channel.SMS, whatsapp: Channel.WHATSAPP, call: Channel.CALL };
const CHANNEL_NAME: Record<Channel, CoreChannel | ""> = { [Channel.UNSPECIFIED]: "", [Channel.SMS]: "sms", [Channel.WHATSAPP]: "whatsapp", [Channel.CALL]: "call" };

/**
 * The proto's zero values are "not given" (the request's defaults apply); an enum value this build
 * does not know (proto enums are open) is refused by name, as an unknown JSON channel is.
 */
export function startRequest(req: StartVerificationRequest): StartRequest {
  return validateStartRequest({
    to: req.to,
    locale: req.locale,
    codeLength: req.codeLength || undefined,
    timeoutSeconds: req.timeoutSeconds || undefined,
    serviceName: req.serviceName,
    externalId: req.externalId,
    tags: req.tags,
    clientIp: req.clientIp,
    webOtpDomain: req.webOtpDomain,
    appHash: req.appHash,
    channel: req.channel === Channel.UNSPECIFIED ? undefined : channelOf(CHANNEL_NAME[req.channel], "channel"),
    channels: req.channels.map((c, i) => channelOf(CHANNEL_NAME[c], `channels[${i}]`)),
    fallbackAfterSeconds: req.fallbackAfterSeconds || undefined,
    lookup: req.lookup,
  });
}

export function checkRequest(req: CheckVerificationRequest): CheckRequest {
  return validateCheckRequest({ verificationId: req.verificationId, to: req.to, code: req.code });
}

/** The verification's `lookup` as its proto message (unknowns as empty strings, `ported` unset). */
export function lookupMessage(view: LookupView): MessageInitShape<typeof LookupSchema> {
  return {
    countryCode: view.countryCode,
    lineType: view.lineType,
    carrier: view.carrier ?? "",
    mcc: view.mcc ?? "",
    mnc: view.mnc ?? "",
    ported: view.ported ?? undefined,
    source: view.source,
  };
}

export function verificationMessage(v: VerificationView): Verification {
  return create(VerificationSchema, {
    id: v.id,
    to: v.to,
    channel: CHANNEL[v.channel],
    channels: v.channels.map((c) => CHANNEL[c]),
    nextChannelTime: v.nextChannelAt ? timestampFromMs(v.nextChannelAt) : undefined,
    fallbackRefusal: v.fallbackRefusal ?? "",
    status: STATUS[v.status],
    createTime: timestampFromMs(v.createdAt),
    updateTime: timestampFromMs(v.updatedAt),
    expireTime: timestampFromMs(v.expiresAt),
    sendAttempts: v.sendAttempts,
    checkAttempts: v.checkAttempts,
    messageId: v.messageId,
    lookup: lookupMessage(lookupView(v, v.lookup)),
    externalId: v.externalId,
    tags: v.tags,
    failureReason: v.failureReason,
    risk: v.risks,
    provider: v.provider,
    locale: v.locale,
    messageEncoding: v.messageEncoding,
    messageSegments: v.messageSegments,
    test: v.test,
    delivery: v.delivery
      ? { status: DELIVERY_STATUS[v.delivery.status], errorCode: v.delivery.errorCode, updateTime: timestampFromMs(v.delivery.updatedAt) }
      : undefined,
  });
}

export function verificationServiceRoutes(router: ConnectRouter): void {
  router.service(VerificationService, {
    async startVerification(req, ctx) {
      const verifier = verifierOf(ctx);
      const options = callOptions(ctx);
      const { verification, replayed, rateLimits } = await verifier.start(startRequest(req), options);
      markReplay(ctx, replayed, rateLimits);
      return { verification: verificationMessage(verification) };
    },
    async checkVerification(req, ctx) {
      const verifier = verifierOf(ctx);
      const options = callOptions(ctx);
      const result = await verifier.check(checkRequest(req), options);
      markReplay(ctx, result.replayed, result.rateLimits);
      return { status: CHECK_STATUS[result.status], verification: verificationMessage(result.verification) };
    },
    async getVerification(req, ctx) {
      const verifier = verifierOf(ctx);
      return { verification: verificationMessage(await verifier.get(validateVerificationId(req.verificationId))) };
    },
    async cancelVerification(req, ctx) {
      const verifier = verifierOf(ctx);
      const options = callOptions(ctx);
      const { verification, replayed } = await verifier.cancel(validateVerificationId(req.verificationId), options);
      markReplay(ctx, replayed);
      return { verification: verificationMessage(verification) };
    },
  });
}
