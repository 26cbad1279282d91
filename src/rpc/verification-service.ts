// Connect transport for VerificationService: proto message → verifier → proto message.
// The verifier validates; here we only translate shapes and enums.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createContextKey, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Channel,
  CheckStatus,
  DeliveryStatus,
  LookupSchema,
  VerificationSchema,
  VerificationService,
  VerificationStatus,
  type Verification,
} from "../gen/verify/v1/verification_pb.ts";
import type { DeliveryStatus as CoreDeliveryStatus } from "../core/delivery.ts";
import { lookupView, type LookupView } from "../core/lookup.ts";
import type { Channel as CoreChannel, CheckStatus as CoreCheckStatus, VerificationStatus as CoreStatus } from "../core/verification.ts";
import { parseIdempotencyKey } from "../core/requests.ts";
import type { CallOptions, Verifier, VerificationView } from "../verifier.ts";

/** The authenticated caller's verifier, or null when authentication failed. */
export const kVerifier = createContextKey<Verifier | null>(null, { description: "verifier" });

/** `Idempotency-Key` (or `X-Request-Id`) request header, as over REST. */
function callOptions(ctx: HandlerContext): CallOptions {
  const header = ctx.requestHeader.has("idempotency-key") ? "Idempotency-Key" : "X-Request-Id";
  return { idempotencyKey: parseIdempotencyKey(ctx.requestHeader.get(header) ?? undefined, header) };
}

function markReplay(ctx: HandlerContext, replayed: boolean): void {
  if (replayed) ctx.responseHeader.set("idempotent-replayed", "true");
}

export function verifierOf(ctx: HandlerContext): Verifier {
  const verifier = ctx.values.get(kVerifier);
  if (!verifier) throw new ConnectError("missing or invalid API key (Authorization: Bearer <key>)", Code.Unauthenticated);
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
      const { verification, replayed } = await verifierOf(ctx).start(
        {
          to: req.to,
          locale: req.locale,
          codeLength: req.codeLength,
          timeoutSeconds: req.timeoutSeconds,
          serviceName: req.serviceName,
          externalId: req.externalId,
          tags: req.tags,
          clientIp: req.clientIp,
          webOtpDomain: req.webOtpDomain,
          appHash: req.appHash,
          channel: CHANNEL_NAME[req.channel] || undefined,
          channels: req.channels.map((c) => CHANNEL_NAME[c] || String(c)),
          fallbackAfterSeconds: req.fallbackAfterSeconds,
          lookup: req.lookup,
        },
        callOptions(ctx),
      );
      markReplay(ctx, replayed);
      return { verification: verificationMessage(verification) };
    },
    async checkVerification(req, ctx) {
      const result = await verifierOf(ctx).check({ verificationId: req.verificationId, to: req.to, code: req.code }, callOptions(ctx));
      markReplay(ctx, result.replayed);
      return { status: CHECK_STATUS[result.status], verification: verificationMessage(result.verification) };
    },
    async getVerification(req, ctx) {
      return { verification: verificationMessage(await verifierOf(ctx).get(req.verificationId)) };
    },
    async cancelVerification(req, ctx) {
      const { verification, replayed } = await verifierOf(ctx).cancel(req.verificationId, callOptions(ctx));
      markReplay(ctx, replayed);
      return { verification: verificationMessage(verification) };
    },
  });
}
