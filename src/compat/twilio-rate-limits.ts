// Twilio Verify v2 Service Rate Limits ("Programmable Rate Limits") and their Buckets:
// `/v2/Services/{ServiceSid}/RateLimits[/{Sid}]` and `…/RateLimits/{RateLimitSid}/Buckets[/{Sid}]`,
// plus the `RateLimits` start parameter as the verifier's `rateLimits`. Mounted by ./twilio.ts
// behind its authentication; refusals thrown here render through its error map (60200, 20404),
// and the rate-limit codes of Twilio's 602xx family (60207–60211) are answered here.
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { registryOf, type Principal } from "../auth.ts";
import { invalidArgument, VerifyError } from "../core/errors.ts";
import {
  BUCKET_MAX_MAX,
  BUCKET_MAX_MIN,
  BUCKET_SID,
  bucketNumber,
  DESCRIPTION_MAX_LENGTH,
  INTERVAL_SECONDS_MAX,
  INTERVAL_SECONDS_MIN,
  MAX_BUCKETS_PER_RATE_LIMIT,
  MAX_RATE_LIMITS_PER_SERVICE,
  RATE_LIMIT_SID,
  uniqueNameProblem,
} from "../core/rate-limits.ts";
import { afterReset } from "../objects/reset.ts";
import { checkBody } from "../rest/validate.ts";
import type { BucketRecord, RateLimitRecord, RateLimitWrite, RateLimitWriteRefusal } from "../objects/rate-limit-tables.ts";
import { forgetRateLimits } from "../rate-limits.ts";
import type { TwilioCompatSettings } from "./sids.ts";
import { formFields, readForm, twilioTime } from "./twilio-wire.ts";

type RateLimitEnv = {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { twilio: TwilioCompatSettings; principal: Principal; serviceSid: string };
};
type RateLimitContext = Context<RateLimitEnv>;

/** The `RateLimits` JSON of a start is small: at most 10 keys of 64 characters, values of 256. */
const RATE_LIMITS_PARAMETER_MAX_LENGTH = 8192;
const PAGE_SIZE_DEFAULT = 50;
const PAGE_SIZE_MAX = 1000;

// ---- The start parameter -------------------------------------------------------------------------

/**
 * A start's `RateLimits` (a JSON object: rate limit unique name → the value to count it under, as
 * twilio-node's `serialize.object` sends it) as the verifier's `rateLimits`; undefined when absent.
 * A number value counts as its text; anything else is refused.
 */
export function rateLimitsParameter(text: string | null): Record<string, string> | undefined {
  if (text === null) return undefined;
  const shape = 'must be a JSON object of rate limit unique names to values, e.g. {"end_user_ip_address":"203.0.113.7"}';
  if (text.length > RATE_LIMITS_PARAMETER_MAX_LENGTH) throw invalidArgument("rateLimits", `must be at most ${RATE_LIMITS_PARAMETER_MAX_LENGTH} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument("rateLimits", shape);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalidArgument("rateLimits", shape);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") values[key] = value;
    else if (typeof value === "number" && Number.isFinite(value)) values[key] = String(value);
    else throw invalidArgument("rateLimits", `the value of ${JSON.stringify(key.slice(0, 64))} must be a string`);
  }
  return values;
}

// ---- Wire helpers --------------------------------------------------------------------------------

/** A refusal of Twilio's rate-limit family, answered as Twilio's error body (all are HTTP 400). */
function failure(c: RateLimitContext, code: number, message: string): Response {
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 }, 400);
}

const WRITE_REFUSALS: Record<Exclude<RateLimitWriteRefusal, "not_found">, [code: number, message: string]> = {
  too_many_rate_limits: [60207, `Max rate limits per service reached: a service has at most ${MAX_RATE_LIMITS_PER_SERVICE}`],
  duplicate_name: [60208, "Rate limit with that UniqueName already exists"],
  too_many_buckets: [60210, `Max Buckets per Rate limit reached: a rate limit has at most ${MAX_BUCKETS_PER_RATE_LIMIT}`],
  duplicate_interval: [60211, "Bucket with the given Interval already exists"],
};

/** A write's value, or its refusal as Twilio answers it. */
function written<T>(c: RateLimitContext, write: RateLimitWrite<T>, notFound: () => VerifyError): { value: T } | { response: Response } {
  if (write.ok) return { value: write.value };
  if (write.reason === "not_found") throw notFound();
  const [code, message] = WRITE_REFUSALS[write.reason];
  return { response: failure(c, code, message) };
}

function uniqueName(form: URLSearchParams): { name: string } | { problem: string } {
  const name = form.get("UniqueName") ?? "";
  if (name === "") throw invalidArgument("UniqueName", "is required");
  const problem = uniqueNameProblem(name);
  return problem ? { problem: `UniqueName format is invalid: ${problem}` } : { name };
}

function description(form: URLSearchParams): string | undefined {
  const value = form.get("Description");
  if (value !== null && value.length > DESCRIPTION_MAX_LENGTH) throw invalidArgument("Description", `must be at most ${DESCRIPTION_MAX_LENGTH} characters`);
  return value ?? undefined;
}

/** A bucket's `Max` or `Interval`: undefined when absent and not `required`. */
function bucketField(form: URLSearchParams, parameter: "Max" | "Interval", required: boolean): number | undefined {
  const text = form.get(parameter);
  if (text === null) {
    if (required) throw invalidArgument(parameter, "is required");
    return undefined;
  }
  const [min, max] = parameter === "Max" ? [BUCKET_MAX_MIN, BUCKET_MAX_MAX] : [INTERVAL_SECONDS_MIN, INTERVAL_SECONDS_MAX];
  const parsed = bucketNumber(text, min, max);
  if ("problem" in parsed) throw invalidArgument(parameter, parameter === "Interval" ? `${parsed.problem} (seconds)` : parsed.problem);
  return parsed.value;
}

const rateLimitNotFound = () => new VerifyError("not_found", "RateLimitSid: no such rate limit", { field: "RateLimitSid" });
const bucketNotFound = () => new VerifyError("not_found", "Sid: no such bucket", { field: "Sid" });

/** The rate limit sid of the path; a malformed one is as unknown as a missing one. */
function rateLimitSid(c: RateLimitContext, param: "sid" | "rateLimitSid"): string {
  const sid = c.req.param(param) ?? "";
  if (!RATE_LIMIT_SID.test(sid)) throw rateLimitNotFound();
  return sid;
}

function bucketSid(c: RateLimitContext): string {
  const sid = c.req.param("sid") ?? "";
  if (!BUCKET_SID.test(sid)) throw bucketNotFound();
  return sid;
}

// ---- Responses -----------------------------------------------------------------------------------

function base(c: RateLimitContext): string {
  return `${new URL(c.req.url).origin}/v2/Services/${c.var.serviceSid}/RateLimits`;
}

function rateLimitJson(c: RateLimitContext, r: RateLimitRecord) {
  const url = `${base(c)}/${r.sid}`;
  return {
    sid: r.sid,
    service_sid: c.var.serviceSid,
    account_sid: c.var.twilio.accountSid,
    unique_name: r.uniqueName,
    description: r.description,
    date_created: twilioTime(r.createdAt),
    date_updated: twilioTime(r.updatedAt),
    url,
    links: { buckets: `${url}/Buckets` },
  };
}

function bucketJson(c: RateLimitContext, b: BucketRecord) {
  return {
    sid: b.sid,
    rate_limit_sid: b.rateLimitSid,
    service_sid: c.var.serviceSid,
    account_sid: c.var.twilio.accountSid,
    max: b.max,
    interval: b.intervalSeconds,
    date_created: twilioTime(b.createdAt),
    date_updated: twilioTime(b.updatedAt),
    url: `${base(c)}/${b.rateLimitSid}/Buckets/${b.sid}`,
  };
}

/** One page of a list in Twilio's shape (`meta.key` names the array), by `PageSize` and `Page`. */
function page<T>(c: RateLimitContext, key: string, items: readonly T[], json: (item: T) => unknown) {
  const number = (parameter: "PageSize" | "Page", fallback: number, min: number, max: number): number => {
    const text = c.req.query(parameter);
    if (text === undefined) return fallback;
    const parsed = bucketNumber(text, min, max);
    if ("problem" in parsed) throw invalidArgument(parameter, parsed.problem);
    return parsed.value;
  };
  const size = number("PageSize", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX);
  const index = number("Page", 0, 0, 1_000_000);
  const url = new URL(c.req.url);
  const pageUrl = (n: number) => `${url.origin}${url.pathname}?PageSize=${size}&Page=${n}`;
  const last = Math.max(0, Math.ceil(items.length / size) - 1);
  return {
    [key]: items.slice(index * size, (index + 1) * size).map(json),
    meta: {
      page: index,
      page_size: size,
      first_page_url: pageUrl(0),
      previous_page_url: index > 0 ? pageUrl(Math.min(index - 1, last)) : null,
      url: pageUrl(index),
      next_page_url: index < last ? pageUrl(index + 1) : null,
      key,
    },
  };
}

// ---- Routes --------------------------------------------------------------------------------------

/** The routes, relative to `/v2` as ./twilio.ts mounts them (its middleware has authenticated). */
export function twilioRateLimitRoutes(): Hono<RateLimitEnv> {
  const routes = new Hono<RateLimitEnv>();
  const registry = (c: RateLimitContext) => registryOf(c.env);
  const serviceId = (c: RateLimitContext) => c.var.principal.serviceId;
  /** After a change: this isolate's starts see it at once (others within the key cache's 30 s). */
  const changed = (c: RateLimitContext) => forgetRateLimits(serviceId(c));

  routes.post("/Services/:serviceSid/RateLimits", async (c) => {
    const form = await readForm(c);
    const name = uniqueName(form);
    if ("problem" in name) return failure(c, 60209, name.problem);
    checkBody("TwilioRateLimitCreateRequest", formFields(form), () => description(form));
    const write = await registry(c).createRateLimit({ serviceId: serviceId(c), uniqueName: name.name, description: description(form) ?? null });
    const result = written(c, write, rateLimitNotFound);
    if ("response" in result) return result.response;
    changed(c);
    return c.json(rateLimitJson(c, result.value), 201);
  });

  routes.get("/Services/:serviceSid/RateLimits", async (c) => {
    const list = await afterReset<RateLimitRecord[]>(() => registry(c).listRateLimits(serviceId(c)));
    return c.json(page(c, "rate_limits", list, (r) => rateLimitJson(c, r)));
  });

  routes.get("/Services/:serviceSid/RateLimits/:sid", async (c) => {
    const sid = rateLimitSid(c, "sid");
    const found = await afterReset<RateLimitRecord | null>(() => registry(c).getRateLimit({ serviceId: serviceId(c), sid }));
    if (!found) throw rateLimitNotFound();
    return c.json(rateLimitJson(c, found));
  });

  routes.post("/Services/:serviceSid/RateLimits/:sid", async (c) => {
    const sid = rateLimitSid(c, "sid");
    const form = await readForm(c);
    // Twilio updates only the description; a new name is a new rate limit (its counts are per sid).
    const fields = () => {
      if (form.has("UniqueName")) throw invalidArgument("UniqueName", "cannot be changed: create a new rate limit");
      return description(form);
    };
    checkBody("TwilioRateLimitUpdateRequest", formFields(form), fields);
    fields();
    const write = await registry(c).updateRateLimit({ serviceId: serviceId(c), sid, description: description(form) });
    const result = written(c, write, rateLimitNotFound);
    if ("response" in result) return result.response;
    return c.json(rateLimitJson(c, result.value));
  });

  routes.delete("/Services/:serviceSid/RateLimits/:sid", async (c) => {
    const sid = rateLimitSid(c, "sid");
    if (!(await registry(c).deleteRateLimit({ serviceId: serviceId(c), sid }))) throw rateLimitNotFound();
    changed(c);
    return c.body(null, 204);
  });

  routes.post("/Services/:serviceSid/RateLimits/:rateLimitSid/Buckets", async (c) => {
    const rateLimit = rateLimitSid(c, "rateLimitSid");
    const form = await readForm(c);
    const max = bucketField(form, "Max", true)!;
    const intervalSeconds = bucketField(form, "Interval", true)!;
    checkBody("TwilioBucketCreateRequest", formFields(form), () => undefined);
    const write = await registry(c).createBucket({ serviceId: serviceId(c), rateLimitSid: rateLimit, max, intervalSeconds });
    const result = written(c, write, rateLimitNotFound);
    if ("response" in result) return result.response;
    changed(c);
    return c.json(bucketJson(c, result.value), 201);
  });

  routes.get("/Services/:serviceSid/RateLimits/:rateLimitSid/Buckets", async (c) => {
    const rateLimit = rateLimitSid(c, "rateLimitSid");
    const list = await afterReset<BucketRecord[] | null>(() => registry(c).listBuckets({ serviceId: serviceId(c), rateLimitSid: rateLimit }));
    if (!list) throw rateLimitNotFound();
    return c.json(page(c, "buckets", list, (b) => bucketJson(c, b)));
  });

  routes.get("/Services/:serviceSid/RateLimits/:rateLimitSid/Buckets/:sid", async (c) => {
    const rateLimit = rateLimitSid(c, "rateLimitSid");
    const sid = bucketSid(c);
    const found = await afterReset<BucketRecord | null>(() => registry(c).getBucket({ serviceId: serviceId(c), rateLimitSid: rateLimit, sid }));
    if (!found) throw bucketNotFound();
    return c.json(bucketJson(c, found));
  });

  routes.post("/Services/:serviceSid/RateLimits/:rateLimitSid/Buckets/:sid", async (c) => {
    const rateLimit = rateLimitSid(c, "rateLimitSid");
    const sid = bucketSid(c);
    const form = await readForm(c);
    const max = bucketField(form, "Max", false);
    const intervalSeconds = bucketField(form, "Interval", false);
    checkBody("TwilioBucketUpdateRequest", formFields(form), () => undefined);
    const write = await registry(c).updateBucket({ serviceId: serviceId(c), rateLimitSid: rateLimit, sid, ...(max !== undefined ? { max } : {}), ...(intervalSeconds !== undefined ? { intervalSeconds } : {}) });
    const result = written(c, write, bucketNotFound);
    if ("response" in result) return result.response;
    changed(c);
    return c.json(bucketJson(c, result.value));
  });

  routes.delete("/Services/:serviceSid/RateLimits/:rateLimitSid/Buckets/:sid", async (c) => {
    const rateLimit = rateLimitSid(c, "rateLimitSid");
    const sid = bucketSid(c);
    if (!(await registry(c).deleteBucket({ serviceId: serviceId(c), rateLimitSid: rateLimit, sid }))) throw bucketNotFound();
    changed(c);
    return c.body(null, 204);
  });

  return routes;
}
