// REST transport for verifications: request → verifier → response. No logic of its own.
import { Hono, type Context } from "hono";
import { invalidArgument } from "../core/errors.ts";
import { parseCheckRequest, parseIdempotencyKey, parseStartRequest, validateVerificationId } from "../core/requests.ts";
import type { AppEnv } from "../app-env.ts";
import type { CallOptions } from "../verifier.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { verificationJson } from "../core/verification-json.ts";

/** Reads a JSON object body; anything else is the caller's error (400), never a 500. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidArgument("body", "is not valid JSON");
  }
}

/** `Idempotency-Key`, or `X-Request-Id` as an alias, on every POST. */
export function callOptions(c: Context<AppEnv>): CallOptions {
  const header = c.req.header("idempotency-key") !== undefined ? "Idempotency-Key" : "X-Request-Id";
  return { idempotencyKey: parseIdempotencyKey(c.req.header(header), header) };
}

function replayHeaders(replayed: boolean): Record<string, string> {
  return replayed ? { "idempotent-replayed": "true" } : {};
}

export function verificationRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/verifications", async (c) => {
    const options = callOptions(c);
    // Validated by core/requests.ts, which owns every rule; the JSON Schema states the same rules,
    // and test/rest/schemas.test.ts holds the two to agreeing.
    const request = parseStartRequest(await readJson(c));
    const { verification, replayed, rateLimits } = await c.var.verifier.start(request, options);
    return c.json(verificationJson(verification), 201, { ...replayHeaders(replayed), ...rateLimitFields(rateLimits) });
  });

  routes.post("/verifications/check", async (c) => {
    const options = callOptions(c);
    const request = parseCheckRequest(await readJson(c));
    const result = await c.var.verifier.check(request, options);
    return c.json({ status: result.status, verification: verificationJson(result.verification) }, 200, { ...replayHeaders(result.replayed), ...rateLimitFields(result.rateLimits) });
  });

  routes.get("/verifications/:id", async (c) => {
    return c.json(verificationJson(await c.var.verifier.get(validateVerificationId(c.req.param("id")))));
  });

  routes.post("/verifications/:id/cancel", async (c) => {
    const options = callOptions(c);
    const { verification, replayed } = await c.var.verifier.cancel(validateVerificationId(c.req.param("id")), options);
    return c.json(verificationJson(verification), 200, replayHeaders(replayed));
  });

  return routes;
}
