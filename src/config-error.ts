// A deployment configuration problem: the Worker fails closed on it. Its own module so the config
// parsers of sms/ and sms/receipts/ need not import config.ts (which imports them).
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
