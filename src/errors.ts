// What a client is told about a thrown error, whatever its wire format: a refusal as itself, a
// configuration error as the `misconfigured` refusal (made here and nowhere else; its message, which
// names settings and secrets, is logged and never sent), anything else as nothing: logged, and
// answered by each renderer as its format's internal error, without the message.
import { ConfigError } from "./config-error.ts";
import { VerifyError } from "./core/errors.ts";
import { log } from "./log.ts";

/** The refusal to render for `error`, or null for an internal error. `path` is for the log line. */
export function refusalOf(error: unknown, path: string): VerifyError | null {
  if (error instanceof VerifyError) return error;
  if (error instanceof ConfigError) {
    log("error", "config.invalid", { message: error.message });
    return new VerifyError("misconfigured", "service is not configured");
  }
  log("error", "request.failed", { path, error: error instanceof Error ? error.message : String(error) });
  return null;
}
