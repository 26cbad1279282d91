// Who a Twilio-compatible request acts as. HTTP Basic, username = the deployment's account sid;
// the password is either ADMIN_TOKEN (the account: every service and the account-level resources,
// as a Twilio auth token is) or a service's API key (that service's Verifications only).
import type { Context } from "hono";
import { createAdmin } from "../admin.ts";
import { authenticate, isAdmin, type Principal } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { VerifyError } from "../core/errors.ts";
import { twilioSettings } from "./sids.ts";

export type TwilioCaller = { kind: "account" } | { kind: "service"; principal: Principal };

/** `Authorization: Basic …` as username and password; null when absent or malformed. */
function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (!match) return null;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A service (its API key) or the account (admin token), or null for anything else. The password is
 * judged before the username is compared, so timing does not tell a wrong account sid from a wrong
 * password. Keys first: the Verifications hot path pays nothing for the admin check. A deployment
 * without ADMIN_TOKEN has no account credential: only service keys work.
 */
export async function twilioCaller(c: Context): Promise<TwilioCaller | null> {
  const config = loadConfig(c.env);
  const { accountSid } = await twilioSettings(c.env, config);
  const credentials = basicCredentials(c.req.header("authorization"));
  if (!credentials) return null;
  const bearer = `Bearer ${credentials.password}`;
  const principal = await authenticate(bearer, c.env, config);
  const account = principal ? false : await isAdmin(bearer, config);
  if (credentials.username !== accountSid) return null;
  if (principal) return { kind: "service", principal };
  return account ? { kind: "account" } : null;
}

/**
 * Account-level resources (Services, the Safe List, Attempts) take the account credential only:
 * a service's API key is refused like a wrong password (401, 20003), as it is on the native admin API.
 */
export async function requireAccount(c: Context): Promise<void> {
  if ((await twilioCaller(c))?.kind !== "account") throw new VerifyError("unauthenticated", "Authenticate");
}

/**
 * The principal a request under `/Services/{ServiceSid}` acts as: the service's own API key, or the
 * account acting for the service (the admin API's principal for it). Another service's sid, or an
 * unknown one, is 404 (20404) either way.
 */
export async function twilioServicePrincipal(c: Context, serviceSid: string): Promise<Principal> {
  const caller = await twilioCaller(c);
  if (!caller) throw new VerifyError("unauthenticated", "Authenticate");
  const notFound = new VerifyError("not_found", "ServiceSid: no such service", { field: "ServiceSid" });
  if (caller.kind === "service") {
    if (caller.principal.serviceId !== serviceSid) throw notFound;
    return caller.principal;
  }
  try {
    return await createAdmin({ env: c.env, config: loadConfig(c.env) }).principalFor(serviceSid);
  } catch (error) {
    if (error instanceof VerifyError && error.reason === "not_found") throw notFound;
    throw error;
  }
}
