// REST transport for the admin API (`Authorization: Bearer <ADMIN_TOKEN>`): services, their keys
// and webhook signing keys.
import { Hono } from "hono";
import { createAdmin } from "../admin.ts";
import type { AppEnv } from "../app-env.ts";
import { isAdmin } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { invalidArgument, VerifyError } from "../core/errors.ts";
import { parseServiceSettings } from "../core/service.ts";
import { checkBody } from "./validate.ts";
import { readJson } from "./verifications.ts";

export function serviceRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("*", async (c, next) => {
    const config = loadConfig(c.env);
    if (!(await isAdmin(c.req.header("authorization"), config))) {
      throw new VerifyError(
        "unauthenticated",
        config.adminToken ? "missing or invalid admin token (Authorization: Bearer <ADMIN_TOKEN>)" : "the admin API is disabled: set ADMIN_TOKEN",
      );
    }
    c.set("config", config);
    await next();
  });
  const admin = (c: { env: Env; var: { config: AppEnv["Variables"]["config"] } }) => createAdmin({ env: c.env, config: c.var.config });

  routes.get("/", async (c) => c.json({ services: await admin(c).listServices() }));
  routes.post("/", async (c) => {
    const body = await readJson(c);
    checkBody("CreateServiceRequest", body, (b) => parseServiceSettings(b, { partial: false, webhookUrls: c.var.config.webhookUrls }));
    return c.json(await admin(c).createService(body), 201);
  });
  routes.get("/:id", async (c) => c.json(await admin(c).getService(c.req.param("id"))));
  routes.patch("/:id", async (c) => {
    const body = await readJson(c);
    checkBody("UpdateServiceRequest", body, (b) => parseServiceSettings(b, { partial: true, webhookUrls: c.var.config.webhookUrls }));
    return c.json(await admin(c).updateService(c.req.param("id"), body));
  });
  routes.delete("/:id", async (c) => {
    await admin(c).deleteService(c.req.param("id"));
    return c.body(null, 204);
  });
  routes.post("/:id/keys", async (c) => {
    const body = await readJson(c);
    // The schema's one property is `name`: refused in admin.createKey's words (the test compares them).
    checkBody("CreateApiKeyRequest", body, () => {
      throw invalidArgument("name", "must be a string of at most 64 characters");
    });
    const { key, secret } = await admin(c).createKey(c.req.param("id"), body);
    return c.json({ ...key, secret }, 201);
  });
  routes.get("/:id/keys", async (c) => c.json({ keys: await admin(c).listKeys(c.req.param("id")) }));
  routes.delete("/:id/keys/:keyId", async (c) => c.json(await admin(c).revokeKey(c.req.param("id"), c.req.param("keyId"))));
  routes.post("/:id/rotate-webhook-key", async (c) => c.json(await admin(c).rotateWebhookKey(c.req.param("id"))));
  routes.get("/:id/webhook-attempts", async (c) => {
    const limit = c.req.query("pageSize");
    const attempts = await admin(c).listWebhookAttempts(c.req.param("id"), limit === undefined ? undefined : Number(limit));
    return c.json({ attempts: attempts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })) });
  });
  return routes;
}
