// Local development provider: prints the message to the dev console instead of sending it, and,
// given an outbox, also stores it there for the playground (the developer's "phone").
// Refused in production by config (a code must never reach a production log line).
import type { SmsMessage, SmsSender } from "./sender.ts";

export interface ConsoleSenderOptions {
  log?: (line: string) => void;
  /** Labels the line: sms, whatsapp or call (a call's body is the TwiML it would read). */
  channel?: string;
  /** Keeps a copy of each message (the dev outbox). A failure here is logged, never a failed send. */
  outbox?: (message: SmsMessage & { messageId: string }) => Promise<void>;
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
      if (options.outbox) {
        try {
          await options.outbox({ to: message.to, body: message.body, messageId });
        } catch (error) {
          // The terminal line above still carries the message; the outbox is a convenience.
          log(`[console-sms] dev outbox unavailable: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return { messageId, provider: "console" };
    },
  };
}
