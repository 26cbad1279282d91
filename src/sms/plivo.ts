// Plivo Message API: POST {base}/v1/Account/{auth_id}/Message/, JSON {src, dst, text}, HTTP Basic
// (auth id : auth token). Success is 202 {message_uuid: [...]}; errors are {api_id, error} with the
// HTTP status carrying the meaning. https://www.plivo.com/docs/messaging/api/message/
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus, withoutPlus } from "./http.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export interface PlivoSenderOptions {
  authId: string;
  authToken: string;
  /** Sender: a Plivo number (required for US/CA) or an alphanumeric sender id. */
  from: string;
  /** Default https://api.plivo.com */
  apiBase?: string;
  timeoutMs?: number;
}

export function createPlivoSender(options: PlivoSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.authId || !options.authToken) throw new Error("Plivo needs PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN");
  if (!options.from) throw new Error("Plivo needs PLIVO_FROM");
  const url = joinUrl(options.apiBase ?? "https://api.plivo.com", `/v1/Account/${encodeURIComponent(options.authId)}/Message/`);
  const authorization = `Basic ${btoa(`${options.authId}:${options.authToken}`)}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "plivo",
    async send(message) {
      // Plivo's docs give numbers as country code + number without "+".
      const body: Record<string, string> = { src: withoutPlus(options.from), dst: withoutPlus(message.to), text: message.body };
      if (message.callbackUrls?.plivo) {
        body.url = message.callbackUrls.plivo;
        body.method = "POST";
      }
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const response = await call("plivo", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const ids = isObject(payload) && Array.isArray(payload.message_uuid) ? payload.message_uuid : [];
        const messageId = ids[0];
        if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("plivo", response.status);
        return { messageId, provider: "plivo" };
      }
      // Plivo's error is free text. A 400 that names the destination is the number's fault; any
      // other 400 (bad src, bad text) is our configuration, which another provider may not share.
      const error = isObject(payload) && typeof payload.error === "string" ? payload.error : "";
      if (response.status === 400) {
        const reason = /\bdst\b|destination/i.test(error) ? "invalid_number" : "unavailable";
        throw refused("plivo", reason, { status: 400 });
      }
      if (response.status === 402) throw refused("plivo", "unavailable", { status: 402 });
      throw refusedByStatus("plivo", response.status);
    },
  };
}
