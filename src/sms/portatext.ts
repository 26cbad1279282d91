// PortaText REST API: POST {base}/sms, JSON {from, to, text, client_ref}, `X-Api-Key: <key>`.
// Errors are the HTTP status (400, 401, 402, 403, 429, 500) with {error_description}. We send our
// own client_ref and record it as the message id, because it is the field PortaText documents
// for finding a message again. https://github.com/PortaText/docs/wiki/REST-API
import { call, clientReference, joinUrl, refused, refusedByStatus, withoutPlus } from "./http.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export interface PortaTextSenderOptions {
  apiKey: string;
  /** A PortaText number (digits with country code). */
  from: string;
  /** Default https://rest.portatext.com */
  apiBase?: string;
  timeoutMs?: number;
}

export function createPortaTextSender(options: PortaTextSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.apiKey) throw new Error("PortaText needs PORTATEXT_API_KEY");
  if (!options.from) throw new Error("PortaText needs PORTATEXT_FROM");
  const url = joinUrl(options.apiBase ?? "https://rest.portatext.com", "/sms");
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "portatext",
    async send(message) {
      const clientRef = clientReference();
      const request = new Request(url, {
        method: "POST",
        headers: { "x-api-key": options.apiKey, "content-type": "application/json", accept: "application/json" },
        // The API's examples use digits with country code, no "+".
        body: JSON.stringify({ from: withoutPlus(options.from), to: withoutPlus(message.to), text: message.body, client_ref: clientRef }),
      });
      const response = await call("portatext", fetchFn, request, timeoutMs);
      await response.body?.cancel();
      if (response.ok) return { messageId: clientRef, provider: "portatext" };
      if (response.status === 402) throw refused("portatext", "unavailable", { status: 402 }); // payment required: out of credit
      throw refusedByStatus("portatext", response.status);
    },
  };
}
