// Twilio's wire shapes shared by every Twilio-compatible route (verifications, services, Safe
// List, attempts, rate limits): form bodies in, timestamps out. A module of its own so that
// twilio.ts and the routes it mounts can share it without an import cycle.
import type { Context } from "hono";
import { VerifyError } from "../core/errors.ts";

/** Twilio's requests are forms; an empty Content-Type is read as one too (as Twilio does). */
export async function readForm(c: Context): Promise<URLSearchParams> {
  const type = c.req.header("content-type") ?? "";
  if (type !== "" && !/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new VerifyError("invalid_argument", "body: must be application/x-www-form-urlencoded", {});
  }
  // Decoded from bytes: workerd warns when .text() reads a form-typed body.
  return new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
}

/** A form as the object its schema describes; a repeated parameter counts once, as `form.get` reads it. */
export function formFields(form: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (!(name in fields)) fields[name] = value;
  return fields;
}

/** Twilio's resource timestamps: ISO 8601 in UTC without milliseconds. */
export function twilioTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
