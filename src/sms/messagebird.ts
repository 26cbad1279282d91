// MessageBird (now Bird) legacy SMS API: POST {base}/messages, JSON {originator, recipients, body},
// `Authorization: AccessKey <key>`. Chosen over the Bird channels API because it needs no
// workspace/channel ids and many accounts still use it. Success is 201 {id, ...}; errors are
// {errors: [{code, description, parameter}]}. https://developers.messagebird.com/api/sms-messaging/
import { isGsm7 } from "../core/sms-encoding.ts";
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus, withoutPlus } from "./http.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export interface MessageBirdSenderOptions {
  accessKey: string;
  /** Originator: a number or an alphanumeric id of at most 11 characters. */
  from: string;
  /** Default https://rest.messagebird.com */
  apiBase?: string;
  timeoutMs?: number;
}

const REQUEST_NOT_ALLOWED = 2; // incorrect access key
const NOT_ENOUGH_BALANCE = 25;

export function createMessageBirdSender(options: MessageBirdSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.accessKey) throw new Error("MessageBird needs MESSAGEBIRD_ACCESS_KEY");
  if (!options.from) throw new Error("MessageBird needs MESSAGEBIRD_FROM");
  const url = joinUrl(options.apiBase ?? "https://rest.messagebird.com", "/messages");
  const authorization = `AccessKey ${options.accessKey}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "messagebird",
    async send(message) {
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        // Recipients are MSISDNs (country code, no "+"); the docs' examples send them as numbers.
        body: JSON.stringify({
          originator: options.from,
          recipients: [Number(withoutPlus(message.to))],
          body: message.body,
          // `datacoding` defaults to "plain", which replaces anything outside GSM 03.38 (Cyrillic,
          // Greek, Arabic, CJK): the code arrives garbled. Chosen here rather than "auto" so the
          // encoding billed is the one sms-encoding.ts reports for this body (segments, template
          // preview), not MessageBird's own reading of the alphabet.
          datacoding: isGsm7(message.body) ? "plain" : "unicode",
        }),
      });
      const response = await call("messagebird", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const messageId = isObject(payload) ? payload.id : undefined;
        if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("messagebird", response.status);
        return { messageId, provider: "messagebird" };
      }
      const first = isObject(payload) && Array.isArray(payload.errors) ? payload.errors.find(isObject) : undefined;
      const code = typeof first?.code === "number" ? first.code : undefined;
      if (response.status === 401 || code === REQUEST_NOT_ALLOWED) throw refused("messagebird", "auth_failed", { status: response.status, code });
      if (code === NOT_ENOUGH_BALANCE) throw refused("messagebird", "unavailable", { status: response.status, code });
      // Invalid or missing parameters: only `recipients` varies per request, so the number is at fault.
      if (response.status < 500 && first?.parameter === "recipients") throw refused("messagebird", "invalid_number", { status: response.status, code });
      if (response.status === 422 || response.status === 400) throw refused("messagebird", "unavailable", { status: response.status, code });
      throw refusedByStatus("messagebird", response.status, code);
    },
  };
}
