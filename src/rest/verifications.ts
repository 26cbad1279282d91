// REST transport for verifications: request → verifier → response. No logic of its own.
import { Hono, type Context } from "hono";
import { invalidArgument } from "../core/errors.ts";
import type { AppEnv } from "../app.ts";
import { verificationJson } from "./views.ts";

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

export function verificationRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post("/verifications", async (c) => {
    const verification = await c.var.verifier.start(await readJson(c));
    return c.json(verificationJson(verification), 201);
  });

  routes.post("/verifications/check", async (c) => {
    const result = await c.var.verifier.check(await readJson(c));
    return c.json({ status: result.status, verification: verificationJson(result.verification) });
  });

  routes.get("/verifications/:id", async (c) => {
    return c.json(verificationJson(await c.var.verifier.get(c.req.param("id"))));
  });

  routes.post("/verifications/:id/cancel", async (c) => {
    return c.json(verificationJson(await c.var.verifier.cancel(c.req.param("id"))));
  });

  return routes;
}
