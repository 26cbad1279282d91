// The Hono app: configuration (fail closed), authentication, REST routes, the Connect mount, and
// error rendering. Everything here is translation; decisions live in the verifier and the core.
import { createContextValues } from "@connectrpc/connect";
import { Hono } from "hono";
import { authenticate, isAdmin } from "./auth.ts";
import { camaraRoutes } from "./compat/camara.ts";
import { mtaRoutes } from "./compat/mta.ts";
import { twilioRoutes } from "./compat/twilio.ts";
import { twilioAttemptRoutes } from "./compat/twilio-attempts.ts";
import { twilioSafeListRoutes } from "./compat/twilio-safelist.ts";
import { twilioServiceRoutes } from "./compat/twilio-services.ts";
import type { AppEnv } from "./app-env.ts";
import { loadConfig, type Config } from "./config.ts";
import { VerifyError } from "./core/errors.ts";
import { playgroundRoutes } from "./playground/routes.tsx";
import { devOutboxRoutes } from "./rest/dev-outbox.ts";
import { docsRoutes } from "./rest/docs.ts";
import { homeRoutes } from "./rest/home.tsx";
import { callbackRoutes } from "./rest/callbacks.ts";
import { restErrorResponse } from "./rest/errors.ts";
import { numberRoutes } from "./rest/numbers.ts";
import { serviceRoutes } from "./rest/services.ts";
import { serviceDataRoutes } from "./rest/service-data.ts";
import { consoleRoutes } from "./console/routes.tsx";
import { verificationRoutes } from "./rest/verifications.ts";
import { connectErrorResponse } from "./rpc/errors.ts";
import { createConnectFetchHandler } from "./rpc/handler.ts";
import { phoneNumberServiceRoutes } from "./rpc/phone-number-service.ts";
import { adminServiceRoutes, kAdmin } from "./rpc/admin-service.ts";
import { createAdmin } from "./admin.ts";
import { kVerifier, verificationServiceRoutes } from "./rpc/verification-service.ts";
import { createVerifier, type Verifier } from "./verifier.ts";

export type { AppEnv };

const connect = createConnectFetchHandler((router) => {
  verificationServiceRoutes(router);
  phoneNumberServiceRoutes(router);
  adminServiceRoutes(router);
});

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Every REST error, and every route that is not one, through the one REST renderer.
  app.onError((error, c) => restErrorResponse(c, error));
  app.notFound((c) => restErrorResponse(c, new VerifyError("not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.route("/", homeRoutes());
  app.route("/", docsRoutes());
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.route("/", playgroundRoutes());
  app.route("/", consoleRoutes());

  // Connect and gRPC-Web. Auth failures become Connect's `unauthenticated` inside the protocol;
  // a failure before the handler (configuration) is answered in the caller's protocol too.
  app.post("*", async (c, next) => {
    if (!connect.handles(c.req.path)) return next();
    let verifier: Verifier | null = null;
    try {
      const config = loadConfig(c.env);
      const principal = await authenticate(c.req.header("authorization"), c.env, config);
      if (principal) verifier = createVerifier({ env: c.env, config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) });
      c.set("config", config);
      const admin = (await isAdmin(c.req.header("authorization"), config)) ? createAdmin({ env: c.env, config }) : null;
      return await connect.fetch(c.req.raw, createContextValues().set(kVerifier, verifier).set(kAdmin, admin));
    } catch (error) {
      return connectErrorResponse(error, c.req.raw);
    }
  });

  // The admin API has its own credential (ADMIN_TOKEN), checked inside its routes.
  app.route("/v1/services", serviceRoutes());
  // Console data (insights, recent verifications, lists, template preview), also admin-token only.
  app.route("/v1/services", serviceDataRoutes());
  // Vendor delivery receipts: signed by the vendor, not by our API keys, so mounted ahead of the
  // API-key middleware (Hono runs handlers in registration order; this one answers every request).
  app.route("/v1", callbackRoutes());

  app.use("/v1/*", async (c, next) => {
    const config = loadConfig(c.env);
    const principal = await authenticate(c.req.header("authorization"), c.env, config);
    if (!principal) {
      throw new VerifyError("unauthenticated", "missing or invalid API key (Authorization: Bearer <key>)");
    }
    c.set("config", config);
    c.set("verifier", createVerifier({ env: c.env, config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) }));
    await next();
  });
  app.route("/v1", verificationRoutes());
  app.route("/v1", numberRoutes());
  // Drop-in compatibility (docs/migrating.md): Twilio Verify v2, Mobile Text Alerts v3 and
  // CAMARA One Time Password SMS v1. The account-level Twilio resources first: twilioRoutes ends
  // in a catch-all 404.
  app.route("/v2", twilioServiceRoutes());
  app.route("/v2", twilioSafeListRoutes());
  app.route("/v2", twilioAttemptRoutes());
  app.route("/v2", twilioRoutes());
  app.route("/v3", mtaRoutes());
  app.route("/one-time-password-sms/v1", camaraRoutes());
  app.route("/v1", devOutboxRoutes());
  return app;
}
