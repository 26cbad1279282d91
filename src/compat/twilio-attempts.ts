// Twilio Verify v2 Verification Attempts (`/v2/Attempts`, `/v2/Attempts/{Sid}`) and the Attempts
// Summary (`/v2/Attempts/Summary`), across services. Served from what the console already keeps:
// each service's recent verifications in its Insights shards (the newest RECENT_PER_SHARD per
// shard, within RETENTION_DAYS; masked numbers, no codes). Nothing is added to the start or check
// path. Account credentials (ADMIN_TOKEN) only.
import { Hono, type Context } from "hono";
import { createAdmin } from "../admin.ts";
import { DEFAULT_SERVICE } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { attemptsOf, attemptSortKey, matchesAttempt, MASKED_PREFIX_DIGITS, summarizeAttempts, type Attempt, type AttemptFilter } from "../core/attempts.ts";
import { VerifyError } from "../core/errors.ts";
import { objectIdOf } from "../core/ids.ts";
import type { VerificationSnapshot } from "../core/insights.ts";
import { parsePhoneNumber } from "../core/phone.ts";
import { INSIGHTS_SHARDS, readRecent, RECENT_PER_SHARD } from "../objects/insights.ts";
import { namespaceOf } from "../objects/namespaces.ts";
import { attemptSid, twilioSettings, VERIFICATION_SID, verificationSid } from "./sids.ts";
import { refused, renderError, type TwilioEnv } from "./twilio.ts";
import { twilioTime } from "./twilio-wire.ts";
import { requireAccount } from "./twilio-auth.ts";
import { pageRequest, twilioPage } from "./twilio-paging.ts";

/** Twilio's channel values; those edge-verify never uses (email, rbm) match nothing. */
const CHANNELS = new Set(["sms", "call", "email", "whatsapp", "rbm"]);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const SERVICE_SID = /^VA[0-9a-fA-F]{32}$/;
const ATTEMPT_SID = /^VL[0-9a-fA-F]{32}$/;

interface Scope {
  /** The service's sid (`VA…`). */
  sid: string;
  /** Its insights scope: "default" for the built-in service, else its sid. */
  scope: string;
}

/** An attempt with what its JSON needs that the core does not know. */
interface Located {
  attempt: Attempt;
  sid: string;
  verificationSid: string;
  service: Scope;
  /** The number in full when the request named it (ChannelData.To); else the masked one. */
  to: string;
}

interface Query {
  filter: AttemptFilter;
  serviceSid?: string;
  verificationSid?: string;
  to?: string;
}

function time(c: Context, name: string): number | undefined {
  const value = c.req.query(name);
  if (value === undefined) return undefined;
  if (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) throw refused(name, "must be an ISO 8601 time, e.g. 2026-01-31T23:59:59Z");
  return Date.parse(value);
}

/** The filters both endpoints share, validated; each refusal names its parameter. */
function readQuery(c: Context, summary: boolean): Query {
  const filter: AttemptFilter = {};
  const after = time(c, "DateCreatedAfter");
  const before = time(c, "DateCreatedBefore");
  if (after !== undefined) filter.createdAfter = after;
  if (before !== undefined) filter.createdBefore = before;
  const country = c.req.query("Country");
  if (country !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(country)) throw refused("Country", "must be an ISO 3166-1 alpha-2 code, e.g. US");
    filter.country = country.toUpperCase();
  }
  const channel = c.req.query("Channel");
  if (channel !== undefined) {
    if (!CHANNELS.has(channel)) throw refused("Channel", `must be one of ${[...CHANNELS].join(", ")}`);
    filter.channel = channel;
  }
  const query: Query = { filter };
  const service = c.req.query("VerifyServiceSid");
  if (service !== undefined) {
    if (!SERVICE_SID.test(service)) throw refused("VerifyServiceSid", "must be VA and 32 hex digits");
    query.serviceSid = service;
  }
  if (summary) {
    const prefix = c.req.query("DestinationPrefix");
    if (prefix !== undefined) {
      if (!new RegExp(`^\\+\\d{1,${MASKED_PREFIX_DIGITS}}$`).test(prefix)) {
        throw refused("DestinationPrefix", `must be + and 1 to ${MASKED_PREFIX_DIGITS} digits: numbers are kept masked, showing only their first ${MASKED_PREFIX_DIGITS} digits`);
      }
      filter.destinationPrefix = prefix;
    }
    return query;
  }
  const status = c.req.query("Status");
  if (status !== undefined) {
    const lower = status.toLowerCase();
    if (lower !== "converted" && lower !== "unconverted") throw refused("Status", "must be converted or unconverted");
    filter.converted = lower === "converted";
  }
  const verification = c.req.query("VerificationSid");
  if (verification !== undefined) {
    if (!VERIFICATION_SID.test(verification)) throw refused("VerificationSid", "must be VE and 32 hex digits");
    query.verificationSid = `VE${verification.slice(2).toLowerCase()}`;
  }
  const to = c.req.query("ChannelData.To");
  if (to !== undefined) query.to = parsePhoneNumber(to, "ChannelData.To").e164;
  return query;
}

/** The services to read: the one named (none if unknown), or every service of the account. */
async function servicesFor(c: Context, serviceSid: string | undefined): Promise<Scope[]> {
  const config = loadConfig(c.env);
  const admin = createAdmin({ env: c.env, config });
  const { defaultServiceSid } = await twilioSettings(c.env, config);
  const scopeOf = (sid: string): Scope => ({ sid, scope: sid === defaultServiceSid ? DEFAULT_SERVICE : sid });
  if (serviceSid === undefined) return (await admin.listServices()).map((s) => scopeOf(s.id));
  try {
    return [scopeOf((await admin.getService(serviceSid)).id)];
  } catch (error) {
    if (error instanceof VerifyError && error.reason === "not_found") return [];
    throw error;
  }
}

/** Every attempt the services' insights hold that the query selects, with its sids. */
async function attemptsFor(c: Context, query: Query): Promise<Located[]> {
  const services = await servicesFor(c, query.serviceSid);
  const numbers = namespaceOf(c.env, "PHONE_VERIFICATION");
  const perService = await Promise.all(
    services.map(async (service) => {
      const snapshots = await readRecent(c.env, service.scope, { limit: INSIGHTS_SHARDS * RECENT_PER_SHARD });
      // A verification id carries its number's object id: the number is matched exactly, though
      // the snapshot holds it masked.
      const objectId = query.to === undefined ? null : numbers.idFromName(`${service.scope}:${query.to}`).toString();
      const located: Located[] = [];
      for (const v of snapshots) {
        if (objectId !== null && objectIdOf(v.id) !== objectId) continue;
        const vSid = await verificationSid(v.id);
        if (query.verificationSid !== undefined && vSid !== query.verificationSid) continue;
        for (const attempt of attemptsOf(v)) {
          if (!matchesAttempt(attempt, query.filter)) continue;
          located.push({ attempt, sid: await attemptSid(v.id, attempt.n), verificationSid: vSid, service, to: query.to ?? v.maskedTo });
        }
      }
      return located;
    }),
  );
  return perService.flat();
}

function attemptJson(c: Context, accountSid: string, a: Located) {
  const v: VerificationSnapshot = a.attempt.verification;
  return {
    sid: a.sid,
    account_sid: accountSid,
    service_sid: a.service.sid,
    verification_sid: a.verificationSid,
    date_created: twilioTime(a.attempt.createdAt),
    date_updated: twilioTime(v.updatedAt),
    conversion_status: a.attempt.converted ? "converted" : "unconverted",
    channel: v.channel,
    // The provider's price is not known here.
    price: null,
    channel_data: { to: a.to, message_status: a.attempt.messageStatus },
    url: `${new URL(c.req.url).origin}/v2/Attempts/${a.sid}`,
  };
}

export function twilioAttemptRoutes(): Hono<TwilioEnv> {
  const routes = new Hono<TwilioEnv>();
  routes.onError((error, c) => renderError(c, error));
  const accountSid = async (c: Context) => (await twilioSettings(c.env, loadConfig(c.env))).accountSid;

  routes.get("/Attempts", async (c) => {
    await requireAccount(c);
    const request = pageRequest(c);
    const located = await attemptsFor(c, readQuery(c, false));
    const account = await accountSid(c);
    const keyed = located.map((a) => ({ key: attemptSortKey(a.attempt.createdAt, a.sid), item: a }));
    return c.json(twilioPage(c, "attempts", request, keyed, (a) => attemptJson(c, account, a)));
  });

  // Before /Attempts/:sid, which would take "Summary" as a sid.
  routes.get("/Attempts/Summary", async (c) => {
    await requireAccount(c);
    const summary = summarizeAttempts((await attemptsFor(c, readQuery(c, true))).map((a) => a.attempt));
    return c.json({
      total_attempts: summary.totalAttempts,
      total_converted: summary.totalConverted,
      total_unconverted: summary.totalUnconverted,
      conversion_rate_percentage: summary.conversionRatePercentage,
      url: `${new URL(c.req.url).origin}/v2/Attempts/Summary`,
    });
  });

  routes.get("/Attempts/:sid", async (c) => {
    await requireAccount(c);
    const given = c.req.param("sid");
    const sid = `VL${given.slice(2).toLowerCase()}`;
    const notFound = new VerifyError("not_found", "Sid: no such attempt", { field: "Sid" });
    if (!ATTEMPT_SID.test(given)) throw notFound;
    // A sid is a hash: found by hashing every kept attempt of every service (a few thousand each).
    const found = (await attemptsFor(c, { filter: {} })).find((a) => a.sid === sid);
    if (!found) throw notFound;
    return c.json(attemptJson(c, await accountSid(c), found));
  });
  return routes;
}
