// Connect transport for AdminService: proto messages ⇄ the admin API's plain data. The admin API
// validates; here we only translate (settings message → the same JSON shape REST accepts).
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createContextKey, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { Admin, ApiKeyView, ServiceView } from "../admin.ts";
import { invalidArgument, VerifyError } from "../core/errors.ts";
import type { ServiceSettings as Settings } from "../core/service.ts";
import {
  AdminService,
  type ApiKeySchema,
  type ServiceSchema,
  type ServiceSettings as SettingsMessage,
  type ServiceSettingsSchema,
} from "../gen/verify/v1/admin_pb.ts";

/** The admin API when the caller presented the admin token; null otherwise. */
export const kAdmin = createContextKey<Admin | null>(null, { description: "admin" });

function adminOf(ctx: HandlerContext): Admin {
  const admin = ctx.values.get(kAdmin);
  if (!admin) throw new VerifyError("unauthenticated", "missing or invalid admin token (Authorization: Bearer <ADMIN_TOKEN>)");
  return admin;
}

const ms = (iso: string | null) => (iso ? timestampFromMs(Date.parse(iso)) : undefined);

function settingsMessage(s: Settings): MessageInitShape<typeof ServiceSettingsSchema> {
  return {
    friendlyName: s.friendlyName,
    codeLength: s.codeLength,
    ttlSeconds: s.ttlSeconds,
    maxCheckAttempts: s.maxCheckAttempts,
    acceptPreviousCodes: s.acceptPreviousCodes,
    templates: s.templates ?? {},
    allowedCountries: s.allowedCountries ?? [],
    limits: s.limits ?? {},
    ruleModes: (s.ruleModes ?? {}) as Record<string, string>,
    webhookUrl: s.webhookUrl ?? "",
    webhookEvents: s.webhookEvents ?? [],
    testNumbers: s.testNumbers ?? {},
    twilioStrict: s.twilioStrict ?? false,
    twilioLookup: s.twilioLookup ?? false,
    webhookSigning: s.webhookSigning ?? "",
  };
}

function serviceMessage(v: ServiceView): MessageInitShape<typeof ServiceSchema> {
  return {
    id: v.id,
    accountSid: v.accountSid,
    builtIn: v.builtIn,
    settings: settingsMessage(v.settings),
    webhookSecret: v.webhookSecret,
    webhookPublicKey: v.webhookPublicKey,
    createTime: ms(v.createTime),
    updateTime: ms(v.updateTime),
  };
}

function keyMessage(k: ApiKeyView): MessageInitShape<typeof ApiKeySchema> {
  return { id: k.id, name: k.name, maskedKey: k.maskedKey, createTime: ms(k.createTime), lastUsedTime: ms(k.lastUsedTime), revokeTime: ms(k.revokeTime) };
}

/** Each settings field as REST JSON; `undefined` when the message leaves it unset or empty. */
function settingsFields(m: SettingsMessage | undefined): Record<string, unknown> {
  if (!m) return {};
  const nonEmpty = <T>(value: T[] | Record<string, string>): unknown =>
    (Array.isArray(value) ? value.length : Object.keys(value).length) ? value : undefined;
  const limits = m.limits ? Object.fromEntries(Object.entries(m.limits).filter(([k, v]) => !k.startsWith("$") && v !== undefined)) : {};
  return {
    friendlyName: m.friendlyName || undefined,
    codeLength: m.codeLength,
    ttlSeconds: m.ttlSeconds,
    maxCheckAttempts: m.maxCheckAttempts,
    acceptPreviousCodes: m.acceptPreviousCodes,
    templates: nonEmpty(m.templates),
    allowedCountries: nonEmpty(m.allowedCountries),
    limits: Object.keys(limits).length ? limits : undefined,
    ruleModes: nonEmpty(m.ruleModes),
    webhookUrl: m.webhookUrl || undefined,
    webhookEvents: nonEmpty(m.webhookEvents),
    testNumbers: nonEmpty(m.testNumbers),
    twilioStrict: m.twilioStrict || undefined,
    twilioLookup: m.twilioLookup || undefined,
    // Empty is unset (v1); anything else goes to the admin API, which refuses what is not a scheme.
    webhookSigning: m.webhookSigning || undefined,
  };
}

const camel = (path: string) => path.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

export function adminServiceRoutes(router: ConnectRouter): void {
  router.service(AdminService, {
    async listServices(_req, ctx) {
      return { services: (await adminOf(ctx).listServices()).map(serviceMessage) };
    },
    async createService(req, ctx) {
      const body = Object.fromEntries(Object.entries(settingsFields(req.settings)).filter(([, v]) => v !== undefined));
      return { service: serviceMessage(await adminOf(ctx).createService(body)) };
    },
    async getService(req, ctx) {
      return { service: serviceMessage(await adminOf(ctx).getService(req.serviceId)) };
    },
    async updateService(req, ctx) {
      // Only the masked fields change; a masked field that is unset in `settings` is cleared.
      const fields = settingsFields(req.settings);
      const body: Record<string, unknown> = {};
      for (const path of req.updateMask?.paths ?? []) {
        const key = camel(path.split(".")[0]!);
        if (!(key in fields)) throw invalidArgument("update_mask", `unknown field "${path}"`);
        body[key] = fields[key] ?? null;
      }
      return { service: serviceMessage(await adminOf(ctx).updateService(req.serviceId, body)) };
    },
    async deleteService(req, ctx) {
      await adminOf(ctx).deleteService(req.serviceId);
      return {};
    },
    async createApiKey(req, ctx) {
      const { key, secret } = await adminOf(ctx).createKey(req.serviceId, { name: req.name });
      return { key: keyMessage(key), secret };
    },
    async listApiKeys(req, ctx) {
      return { keys: (await adminOf(ctx).listKeys(req.serviceId)).map(keyMessage) };
    },
    async revokeApiKey(req, ctx) {
      return { key: keyMessage(await adminOf(ctx).revokeKey(req.serviceId, req.keyId)) };
    },
    async rotateWebhookKey(req, ctx) {
      const { service, previousKeyExpireTime } = await adminOf(ctx).rotateWebhookKey(req.serviceId);
      return { service: serviceMessage(service), previousKeyExpireTime: ms(previousKeyExpireTime) };
    },
    async listWebhookAttempts(req, ctx) {
      const attempts = await adminOf(ctx).listWebhookAttempts(req.serviceId, req.pageSize || 50);
      return {
        attempts: attempts.map((a) => ({
          eventId: a.eventId,
          eventType: a.eventType,
          url: a.url,
          attempt: a.attempt,
          statusCode: a.statusCode,
          error: a.error,
          time: timestampFromMs(a.at),
        })),
      };
    },
  });
}
