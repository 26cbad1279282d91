// GET /v1/dev/outbox: the console provider's messages, for the playground. Exists only in local
// development with the console provider; anywhere else it answers exactly like an unknown route.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { Config } from "../config.ts";
import { devOutbox } from "../objects/dev-outbox.ts";

/** True when messages go to the console provider (and so to the outbox) in local development. */
export function devOutboxEnabled(config: Config): boolean {
  if (!config.development) return false;
  if (config.smsProvider === "console" || config.delivery.fallbackProvider === "console") return true;
  return Object.values(config.sms.routes ?? {}).some((names) => names.includes("console"));
}

export function devOutboxRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/dev/outbox", async (c) => {
    if (!devOutboxEnabled(c.var.config)) return c.notFound();
    const messages = await devOutbox(c.env).list();
    c.header("cache-control", "no-store");
    return c.json({
      messages: messages.map((m) => ({ seq: m.seq, messageId: m.messageId, to: m.to, body: m.body, createTime: new Date(m.createdAt).toISOString() })),
    });
  });
  return routes;
}
