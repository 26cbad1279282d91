// The admin API both transports call: services, their API keys and webhook delivery attempts.
// Guarded by ADMIN_TOKEN; every console action uses it too, so there is no private back door.
import { defaultService, forgetCachedKeys, hex, newServiceId, newServiceKey, registryOf, servicePrincipal, sha256, type Principal } from "./auth.ts";
import type { Config } from "./config.ts";
import { invalidArgument, VerifyError } from "./core/errors.ts";
import { mergeSettings, parseServiceSettings, type ServiceSettings } from "./core/service.ts";
import type { ApiKeyRecord, ServiceRecord, WebhookAttempt } from "./objects/service-registry.ts";
import { twilioSettings } from "./compat/sids.ts";
import type { InsightsReport, VerificationSnapshot } from "./core/insights.ts";
import { previewTemplate, type TemplatePreview } from "./core/template-preview.ts";
import { readInsights, readRecent } from "./objects/insights.ts";
import { afterReset, unavailableOnReset } from "./objects/reset.ts";

export interface ServiceView {
  id: string;
  accountSid: string;
  /** The built-in service whose keys are `API_KEYS`; it cannot be deleted. */
  builtIn: boolean;
  friendlyName: string;
  settings: ServiceSettings;
  /** The v1 scheme's shared secret (`whsec_…`): receivers of v1 signatures verify with it. */
  webhookSecret: string;
  /** The v1a scheme's public key (`whpk_…`). Its private half is never in a view. */
  webhookPublicKey: string;
  createTime: string;
  updateTime: string;
}

export interface ApiKeyView {
  id: string;
  name: string;
  /** Recognisable, not usable: `evk_3f9aB2c…`. */
  maskedKey: string;
  createTime: string;
  lastUsedTime: string | null;
  revokeTime: string | null;
}

export interface Admin {
  listServices(): Promise<ServiceView[]>;
  createService(body: unknown): Promise<ServiceView>;
  getService(id: string): Promise<ServiceView>;
  updateService(id: string, body: unknown): Promise<ServiceView>;
  deleteService(id: string): Promise<void>;
  /** Returns the key's secret once; only its digest is stored. */
  createKey(serviceId: string, body: unknown): Promise<{ key: ApiKeyView; secret: string }>;
  listKeys(serviceId: string): Promise<ApiKeyView[]>;
  revokeKey(serviceId: string, keyId: string): Promise<ApiKeyView>;
  listWebhookAttempts(serviceId: string, limit?: number): Promise<WebhookAttempt[]>;
  /** A new signing key for the service's scheme; the replaced one signs too until `previousKeyExpireTime` (24 h). */
  rotateWebhookKey(serviceId: string): Promise<{ service: ServiceView; previousKeyExpireTime: string }>;
  /** Acts as the service for its per-number operations (lists): the verifier its API keys use. */
  principalFor(serviceId: string): Promise<Principal>;
  /** `{template?, locale, serviceName?}` rendered and measured as saving it would measure it. */
  previewTemplate(serviceId: string, body: unknown): Promise<TemplatePreview>;
  /** Aggregates for the last `days` UTC days (1-90), summed over the service's insights shards. */
  insights(serviceId: string, days: number): Promise<InsightsReport>;
  /** Recent verifications, masked, newest change first. */
  recentVerifications(serviceId: string, filter: { status?: string; country?: string; limit?: number }): Promise<VerificationSnapshot[]>;
}

const STATUSES = new Set(["pending", "approved", "canceled", "expired", "max_attempts_reached", "failed"]);

const iso = (ms: number) => new Date(ms).toISOString();

export function createAdmin({ env, config }: { env: Env; config: Config }): Admin {
  // A fresh stub per call (afterReset repeats a read on a new one); writes that must not run twice
  // answer 503 on a reset instead (unavailableOnReset).
  const registry = () => registryOf(env);
  const ids = () => twilioSettings(env, config);
  let known: { accountSid: string; defaultServiceSid: string } = { accountSid: "", defaultServiceSid: "" };
  const view = (s: ServiceRecord): ServiceView => ({
    id: s.id,
    accountSid: known.accountSid,
    builtIn: s.id === known.defaultServiceSid,
    friendlyName: s.settings.friendlyName,
    settings: s.settings,
    webhookSecret: s.webhookSecret,
    webhookPublicKey: s.webhookPublicKey,
    createTime: iso(s.createdAt),
    updateTime: iso(s.updatedAt),
  });
  const keyView = (k: ApiKeyRecord): ApiKeyView => ({
    id: k.id,
    name: k.name,
    maskedKey: `${k.prefix}…`,
    createTime: iso(k.createdAt),
    lastUsedTime: k.lastUsedAt ? iso(k.lastUsedAt) : null,
    revokeTime: k.revokedAt ? iso(k.revokedAt) : null,
  });
  const existing = async (id: string): Promise<ServiceRecord> => {
    known = await ids();
    if (id === known.defaultServiceSid) return defaultService(env, config);
    const found = /^VA[0-9a-f]{32}$/.test(id) ? await afterReset<ServiceRecord | null>(() => registry().getService(id)) : null;
    if (!found) throw new VerifyError("not_found", "serviceId: no such service", { field: "serviceId" });
    return found;
  };

  return {
    async listServices() {
      known = await ids();
      await defaultService(env, config);
      return (await afterReset<ServiceRecord[]>(() => registry().listServices())).map(view);
    },
    async createService(body) {
      known = await ids();
      const parsed = parseServiceSettings(body, { partial: false, webhookUrls: config.webhookUrls });
      const { cleared: _cleared, ...settings } = parsed;
      return view(await unavailableOnReset(() => registry().createService({ id: newServiceId(), settings: settings as ServiceSettings })));
    },
    async getService(id) {
      return view(await existing(id));
    },
    async updateService(id, body) {
      const current = await existing(id);
      const update = parseServiceSettings(body, { partial: true, webhookUrls: config.webhookUrls });
      const updated = await afterReset<ServiceRecord | null>(() => registry().updateService({ id, settings: mergeSettings(current.settings, update) }));
      forgetCachedKeys();
      return view(updated ?? current);
    },
    async deleteService(id) {
      if (id === (await ids()).defaultServiceSid) {
        throw new VerifyError("invalid_argument", "serviceId: the built-in service cannot be deleted; remove API_KEYS instead", { field: "serviceId" });
      }
      await existing(id);
      await unavailableOnReset(() => registry().deleteService(id));
      forgetCachedKeys();
    },
    async createKey(serviceId, body) {
      await existing(serviceId);
      const name = (body as { name?: unknown } | null)?.name ?? "";
      if (typeof name !== "string" || name.length > 64) throw invalidArgument("name", "must be a string of at most 64 characters");
      const secret = newServiceKey();
      const digest = hex(await sha256(secret));
      const record = await unavailableOnReset(() => registry().addKey({ serviceId, name, prefix: secret.slice(0, 12), digest }));
      if (!record) throw new VerifyError("not_found", "serviceId: no such service", { field: "serviceId" });
      return { key: keyView(record), secret };
    },
    async listKeys(serviceId) {
      await existing(serviceId);
      return (await afterReset<ApiKeyRecord[]>(() => registry().listKeys(serviceId))).map(keyView);
    },
    async revokeKey(serviceId, keyId) {
      await existing(serviceId);
      const record = await unavailableOnReset(() => registry().revokeKey({ serviceId, keyId }));
      if (!record) throw new VerifyError("not_found", "keyId: no such key", { field: "keyId" });
      // This isolate forgets at once; others within the cache lifetime (30 s).
      forgetCachedKeys();
      return keyView(record);
    },
    async listWebhookAttempts(serviceId, limit = 50) {
      await existing(serviceId);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw invalidArgument("pageSize", "must be from 1 to 200");
      return afterReset<WebhookAttempt[]>(() => registry().listWebhookAttempts({ serviceId, limit }));
    },
    async rotateWebhookKey(serviceId) {
      await existing(serviceId);
      const rotated = await unavailableOnReset(() => registry().rotateWebhookKey(serviceId));
      if (!rotated) throw new VerifyError("not_found", "serviceId: no such service", { field: "serviceId" });
      // This isolate signs with the new key at once; others within the cache lifetime (30 s).
      forgetCachedKeys();
      return { service: view(rotated.service), previousKeyExpireTime: iso(rotated.replacedUntil) };
    },
    async principalFor(serviceId) {
      return servicePrincipal(await existing(serviceId), env, config);
    },
    async previewTemplate(serviceId, body) {
      await existing(serviceId);
      return previewTemplate((body ?? {}) as Record<string, unknown>);
    },
    async insights(serviceId, days) {
      const { service } = await servicePrincipal(await existing(serviceId), env, config);
      if (!Number.isInteger(days) || days < 1 || days > 90) throw invalidArgument("days", "must be from 1 to 90");
      return readInsights(env, service, Math.min(days, config.retentionDays), Date.now());
    },
    async recentVerifications(serviceId, { status, country, limit = 50 }) {
      const { service } = await servicePrincipal(await existing(serviceId), env, config);
      if (status && !STATUSES.has(status)) throw invalidArgument("status", `must be one of ${[...STATUSES].join(", ")}`);
      if (country && !/^[A-Z]{2}$/.test(country)) throw invalidArgument("country", "must be an ISO 3166-1 alpha-2 code, e.g. US");
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw invalidArgument("pageSize", "must be from 1 to 200");
      return readRecent(env, service, { status: status || undefined, country: country || undefined, limit });
    },
  };
}
