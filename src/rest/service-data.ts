// REST transport for what the console reads and changes inside a service, with the admin token:
// template preview, insights, recent verifications, and the deny and allow lists. The lists reuse
// the API-key routes (numberRoutes) with the service's principal, so both run one code path.
import { Hono, type MiddlewareHandler } from "hono";
import { createAdmin } from "../admin.ts";
import type { AppEnv } from "../app-env.ts";
import { isAdmin } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { VerifyError } from "../core/errors.ts";
import { createVerifier } from "../verifier.ts";
import { numberRoutes } from "./numbers.ts";
import { readJson } from "./verifications.ts";

/** `Authorization: Bearer <ADMIN_TOKEN>` on every route, checked here whatever else is mounted. */
function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    const config = loadConfig(c.env);
    if (!(await isAdmin(c.req.header("authorization"), config))) {
      throw new VerifyError(
        "unauthenticated",
        config.adminToken ? "missing or invalid admin token (Authorization: Bearer <ADMIN_TOKEN>)" : "the admin API is disabled: set ADMIN_TOKEN",
      );
    }
    c.set("config", config);
    await next();
  };
}

const queryInt = (value: string | undefined, fallback: number) => (value === undefined || value === "" ? fallback : Number(value));

export function serviceDataRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("/:id/template-preview", requireAdmin());
  routes.use("/:id/insights", requireAdmin());
  routes.use("/:id/verifications", requireAdmin());
  routes.use("/:id/lists/*", requireAdmin());
  routes.use("/:id/phone-numbers/*", requireAdmin());
  routes.use("/:id/lookups", requireAdmin());
  const admin = (c: { env: Env; var: { config: AppEnv["Variables"]["config"] } }) => createAdmin({ env: c.env, config: c.var.config });

  routes.post("/:id/template-preview", async (c) => c.json(await admin(c).previewTemplate(c.req.param("id"), await readJson(c))));

  routes.get("/:id/insights", async (c) => c.json(await admin(c).insights(c.req.param("id"), queryInt(c.req.query("days"), 14))));

  routes.get("/:id/verifications", async (c) => {
    const verifications = await admin(c).recentVerifications(c.req.param("id"), {
      status: c.req.query("status"),
      country: c.req.query("country")?.toUpperCase(),
      limit: queryInt(c.req.query("pageSize"), 50),
    });
    return c.json({ verifications: verifications.map(({ createdAt, updatedAt, ...v }) => ({ ...v, createTime: iso(createdAt), updateTime: iso(updatedAt) })) });
  });

  // Deny and allow lists, erasure and lookups as the service: the very routes its API keys call.
  const perNumber = new Hono<AppEnv>();
  // Only these paths: a "*" here would sit in front of every /v1/services/:id/… route.
  const asService: MiddlewareHandler<AppEnv> = async (c, next) => {
    const principal = await admin(c).principalFor(c.req.param("id")!);
    c.set("verifier", createVerifier({ env: c.env, config: c.var.config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) }));
    await next();
  };
  perNumber.use("/lists/*", asService);
  perNumber.use("/phone-numbers/*", asService);
  perNumber.use("/lookups", asService);
  perNumber.route("/", numberRoutes());
  routes.route("/:id", perNumber);
  return routes;
}

const iso = (ms: number) => new Date(ms).toISOString();
