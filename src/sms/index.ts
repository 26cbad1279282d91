// Builds the configured SmsSender: one provider, or a router over several (SMS_PROVIDER=routes).
// Providers get `fetch` injected so tests and the bench can point them at local fakes through the
// configured API base URL.
import { ConfigError, type Config } from "../config.ts";
import type { ProviderName } from "./config.ts";
import { createConsoleSender, type ConsoleSenderOptions } from "./console.ts";
import { createInfobipSender } from "./infobip.ts";
import { createMessageBirdSender } from "./messagebird.ts";
import { createMobileTextAlertsSender } from "./mobile-text-alerts.ts";
import { createPlivoSender } from "./plivo.ts";
import { createPortaTextSender } from "./portatext.ts";
import { createCircuitBreaker, createRoutedSender, type CircuitBreaker } from "./router.ts";
import type { FetchFn, SmsSender } from "./sender.ts";
import { createSinchSender } from "./sinch.ts";
import { createSnsSender } from "./sns.ts";
import { createTelnyxSender } from "./telnyx.ts";
import { createTwilioSender } from "./twilio.ts";
import { createVonageSender } from "./vonage.ts";
import { createWebhookSender } from "./webhook.ts";

// Shared by every Durable Object in this isolate: a provider that just failed for one number has
// failed for all of them. Rebuilt when the settings change (a new deploy has a new isolate anyway).
let isolateBreaker: { key: string; breaker: CircuitBreaker } | undefined;

function breakerFor(config: Config): CircuitBreaker {
  const key = `${config.sms.breakerFailureThreshold}:${config.sms.breakerCoolOffMs}`;
  if (isolateBreaker?.key !== key) {
    isolateBreaker = {
      key,
      breaker: createCircuitBreaker({ failureThreshold: config.sms.breakerFailureThreshold, coolOffMs: config.sms.breakerCoolOffMs, now: Date.now }),
    };
  }
  return isolateBreaker.breaker;
}

function settings<T>(value: T | undefined, name: ProviderName): T {
  // parseSmsConfig fills every provider in use; a gap here is a bug, refused like bad config.
  if (!value) throw new ConfigError(`SMS provider ${name} is not configured`);
  return value;
}

/** What a sender may need besides configuration and fetch. */
export interface SenderHooks {
  /** Where the console provider keeps a copy of each message (development only: the dev outbox). */
  devOutbox?: ConsoleSenderOptions["outbox"];
}

/** Builds one provider by name from validated configuration. */
export function createProviderSender(name: ProviderName, config: Config, fetchFn: FetchFn = fetch, hooks: SenderHooks = {}): SmsSender {
  const timeoutMs = config.smsTimeoutMs;
  const p = config.sms.providers;
  switch (name) {
    case "console":
      return createConsoleSender({ outbox: config.development ? hooks.devOutbox : undefined });
    case "twilio":
      return createTwilioSender(
        {
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          from: config.twilio.from || undefined,
          messagingServiceSid: config.twilio.messagingServiceSid || undefined,
          apiBase: config.twilio.apiBase,
          timeoutMs,
        },
        fetchFn,
      );
    case "vonage":
      return createVonageSender({ ...settings(p.vonage, name), timeoutMs }, fetchFn);
    case "plivo":
      return createPlivoSender({ ...settings(p.plivo, name), timeoutMs }, fetchFn);
    case "telnyx":
      return createTelnyxSender({ ...settings(p.telnyx, name), timeoutMs }, fetchFn);
    case "sinch":
      return createSinchSender({ ...settings(p.sinch, name), timeoutMs }, fetchFn);
    case "infobip":
      return createInfobipSender({ ...settings(p.infobip, name), timeoutMs }, fetchFn);
    case "messagebird":
      return createMessageBirdSender({ ...settings(p.messagebird, name), timeoutMs }, fetchFn);
    case "sns":
      return createSnsSender({ ...settings(p.sns, name), timeoutMs }, fetchFn);
    case "mobile-text-alerts":
      return createMobileTextAlertsSender({ ...settings(p.mobileTextAlerts, name), timeoutMs }, fetchFn);
    case "portatext":
      return createPortaTextSender({ ...settings(p.portatext, name), timeoutMs }, fetchFn);
    case "webhook":
      return createWebhookSender({ ...settings(p.webhook, name), timeoutMs }, fetchFn);
  }
}

export function createSender(config: Config, fetchFn: FetchFn = fetch, hooks: SenderHooks = {}): SmsSender {
  if (config.smsProvider !== "routes") return createProviderSender(config.smsProvider, config, fetchFn, hooks);
  const routes = config.sms.routes;
  if (!routes) throw new ConfigError("SMS_PROVIDER=routes needs SMS_ROUTES");
  const senders: Record<string, SmsSender> = {};
  for (const name of new Set(Object.values(routes).flat())) senders[name] = createProviderSender(name, config, fetchFn, hooks);
  return createRoutedSender({ routes, senders, breaker: breakerFor(config) });
}

/** The primary sender (a single provider or a router), then the fallback provider if configured. */
export function createSenders(config: Config, fetchFn: FetchFn = fetch, hooks: SenderHooks = {}): SmsSender[] {
  const senders = [createSender(config, fetchFn, hooks)];
  const fallback = config.delivery.fallbackProvider;
  if (fallback && fallback !== config.smsProvider) senders.push(createProviderSender(fallback, config, fetchFn, hooks));
  return senders;
}

export type Channel = "sms" | "whatsapp" | "call";

/**
 * Senders for one channel, in failover order. SMS uses the configured providers (and fallback);
 * WhatsApp and voice go through Twilio, or the console under `npm run dev`.
 */
export function createChannelSenders(config: Config, channel: Channel, fetchFn: FetchFn = fetch, hooks: SenderHooks = {}): SmsSender[] {
  if (channel === "sms") return createSenders(config, fetchFn, hooks);
  if (config.smsProvider === "console") return [createConsoleSender({ channel, outbox: config.development ? hooks.devOutbox : undefined })];
  const t = config.twilio;
  return [
    createTwilioSender(
      {
        accountSid: t.accountSid,
        authToken: t.authToken,
        from: channel === "whatsapp" ? t.whatsappFrom : t.voiceFrom,
        apiBase: t.apiBase,
        timeoutMs: config.smsTimeoutMs,
        kind: channel,
      },
      fetchFn,
    ),
  ];
}
