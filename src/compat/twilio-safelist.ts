// Twilio Verify v2 Safe List (`/v2/SafeList/Numbers[/{PhoneNumber}]`): numbers every service
// treats as allow-listed, an allow list across services. Kept in the ServiceRegistry with the
// services, so it reaches every start with the principal the start reads anyway (src/auth.ts):
// no extra round trip. Account credentials (ADMIN_TOKEN) only.
import { Hono, type Context } from "hono";
import { forgetCachedKeys, hex, registryOf } from "../auth.ts";
import { VerifyError } from "../core/errors.ts";
import { parsePhoneNumber } from "../core/phone.ts";
import { afterReset } from "../objects/reset.ts";
import { SAFE_LIST_MAX, type SafeListAdd, type SafeListEntry } from "../objects/service-registry.ts";
import { checkBody } from "../rest/validate.ts";
import { refused, renderError, twilioError, type TwilioEnv } from "./twilio.ts";
import { readForm } from "./twilio-wire.ts";
import { requireAccount } from "./twilio-auth.ts";

function e164Of(value: string | null): string {
  if (!value) throw refused("PhoneNumber", "is required, in E.164");
  return parsePhoneNumber(value, "PhoneNumber").e164;
}

/** `GN` + 32 random hex: names the entry, says nothing about the number. */
function newSafeListSid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `GN${hex(bytes)}`;
}

function entryJson(c: Context, entry: SafeListEntry) {
  return { sid: entry.sid, phone_number: entry.phoneNumber, url: `${new URL(c.req.url).origin}/v2/SafeList/Numbers/${entry.phoneNumber}` };
}

function notListed(): VerifyError {
  return new VerifyError("not_found", "PhoneNumber: not on the Safe List", { field: "PhoneNumber" });
}

export function twilioSafeListRoutes(): Hono<TwilioEnv> {
  const routes = new Hono<TwilioEnv>();
  routes.onError((error, c) => renderError(c, error));
  routes.post("/SafeList/Numbers", async (c) => {
    await requireAccount(c);
    const form = await readForm(c);
    checkBody("TwilioSafeListRequest", Object.fromEntries(form), () => e164Of(form.get("PhoneNumber")));
    const phoneNumber = e164Of(form.get("PhoneNumber"));
    const sid = newSafeListSid();
    const added = await afterReset<SafeListAdd>(() => registryOf(c.env).addSafeNumber({ phoneNumber, sid }));
    // Twilio's answer to a number already on the list: 400, 60411.
    if (added.outcome === "exists") return c.json(twilioError(60411, "Phone Number already exists in the Safe List", 400), 400);
    if (added.outcome === "full") throw refused("PhoneNumber", `the Safe List is full (${SAFE_LIST_MAX} numbers); remove one first`);
    // This isolate applies the change at once; the others within KEY_CACHE_MS (30 s).
    forgetCachedKeys();
    return c.json(entryJson(c, added.entry), 201);
  });

  routes.get("/SafeList/Numbers/:phoneNumber", async (c) => {
    await requireAccount(c);
    const phoneNumber = e164Of(c.req.param("phoneNumber"));
    const entry = await afterReset<SafeListEntry | null>(() => registryOf(c.env).getSafeNumber(phoneNumber));
    if (!entry) throw notListed();
    return c.json(entryJson(c, entry));
  });

  routes.delete("/SafeList/Numbers/:phoneNumber", async (c) => {
    await requireAccount(c);
    const phoneNumber = e164Of(c.req.param("phoneNumber"));
    if (!(await afterReset<boolean>(() => registryOf(c.env).removeSafeNumber(phoneNumber)))) throw notListed();
    forgetCachedKeys();
    return c.body(null, 204);
  });
  return routes;
}
