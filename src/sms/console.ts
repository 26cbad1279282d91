// Local development provider: prints the message to the dev console instead of sending it.
// Refused in production by config (a code must never reach a production log line).
import type { SmsSender } from "./sender.ts";

export interface ConsoleSenderOptions {
  log?: (line: string) => void;
  /** Labels the line: sms, whatsapp or call (a call's body is the TwiML it would read). */
  channel?: string;
}

export function createConsoleSender(options: ConsoleSenderOptions = {}): SmsSender {
  const log = options.log ?? ((line: string) => console.log(line));
  let counter = 0;
  return {
    name: "console",
    async send(message) {
      counter++;
      const messageId = `console-${Date.now().toString(36)}-${counter}`;
      log(`[console-${options.channel ?? "sms"}] to=${message.to} id=${messageId}\n  ${message.body}`);
      return { messageId, provider: "console" };
    },
  };
}
