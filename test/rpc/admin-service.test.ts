// AdminService over Connect: the same admin operations as REST, guarded by the admin token.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { AdminService } from "../../src/gen/verify/v1/admin_pb.ts";
import { VerificationService } from "../../src/gen/verify/v1/verification_pb.ts";
import { latestCode, uniqueNumber } from "../helpers.ts";

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
const transport = createConnectTransport({ baseUrl: "http://x", fetch: workerFetch, useBinaryFormat: true });
const admin = createClient(AdminService, transport);
const verify = createClient(VerificationService, transport);
const asAdmin = { headers: { authorization: "Bearer ev_dev_admin_token" } };

describe("AdminService", () => {
  it("refuses callers without the admin token, including API keys", async () => {
    for (const headers of [{}, { authorization: "Bearer ev_dev_local_only_key" }] as Record<string, string>[]) {
      try {
        await admin.listServices({}, { headers });
        throw new Error("accepted");
      } catch (error) {
        expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
      }
    }
  });

  it("accept_previous_codes (field 14): set, validated naming the field, cleared by the mask", async () => {
    const { service } = await admin.createService({ settings: { friendlyName: "Rpc codes", acceptPreviousCodes: 2 } }, asAdmin);
    expect(service!.settings!.acceptPreviousCodes).toBe(2);
    try {
      await admin.updateService({ serviceId: service!.id, settings: { friendlyName: "x", acceptPreviousCodes: 4 }, updateMask: { paths: ["accept_previous_codes"] } }, asAdmin);
      throw new Error("accepted");
    } catch (error) {
      expect(ConnectError.from(error)).toMatchObject({ code: Code.InvalidArgument, rawMessage: "acceptPreviousCodes: must be an integer from 0 to 3" });
    }
    const { service: cleared } = await admin.updateService({ serviceId: service!.id, settings: { friendlyName: "x" }, updateMask: { paths: ["accept_previous_codes"] } }, asAdmin);
    expect(cleared!.settings!.acceptPreviousCodes).toBeUndefined();
    await admin.deleteService({ serviceId: service!.id }, asAdmin);
  });

  it("service lifecycle: create, key once, use, update with a mask, revoke, delete", async () => {
    const { service } = await admin.createService({ settings: { friendlyName: "Rpc shop", codeLength: 5 } }, asAdmin);
    expect(service!.id).toMatch(/^VA[0-9a-f]{32}$/);
    expect(service!.settings!.codeLength).toBe(5);
    const { key, secret } = await admin.createApiKey({ serviceId: service!.id, name: "svc" }, asAdmin);
    expect(secret).toMatch(/^evk_/);
    const { keys } = await admin.listApiKeys({ serviceId: service!.id }, asAdmin);
    expect(keys.map((k) => k.maskedKey)).toEqual([key!.maskedKey]);

    const to = uniqueNumber();
    const headers = { authorization: `Bearer ${secret}` };
    const started = await verify.startVerification({ to }, { headers });
    expect(await latestCode(to)).toHaveLength(5);

    const { service: renamed } = await admin.updateService(
      { serviceId: service!.id, settings: { friendlyName: "Renamed" }, updateMask: { paths: ["friendly_name", "code_length"] } },
      asAdmin,
    );
    expect(renamed!.settings!.friendlyName).toBe("Renamed");
    expect(renamed!.settings!.codeLength).toBeUndefined();

    await admin.revokeApiKey({ serviceId: service!.id, keyId: key!.id }, asAdmin);
    try {
      await verify.getVerification({ verificationId: started.verification!.id }, { headers });
      throw new Error("accepted");
    } catch (error) {
      expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
    }
    await admin.deleteService({ serviceId: service!.id }, asAdmin);
    const { services } = await admin.listServices({}, asAdmin);
    expect(services.map((s) => s.id)).not.toContain(service!.id);
    expect(services.some((s) => s.builtIn)).toBe(true);
  });

  it("bad settings are InvalidArgument naming the field", async () => {
    try {
      await admin.createService({ settings: { friendlyName: "x", codeLength: 99 } }, asAdmin);
      throw new Error("accepted");
    } catch (error) {
      const e = ConnectError.from(error);
      expect(e.code).toBe(Code.InvalidArgument);
      expect(e.rawMessage).toMatch(/^codeLength: /);
    }
  });

  it("a friendly name that reads as a link is InvalidArgument naming friendlyName", async () => {
    try {
      await admin.createService({ settings: { friendlyName: "(evil.com)" } }, asAdmin);
      throw new Error("accepted");
    } catch (error) {
      const e = ConnectError.from(error);
      expect(e.code).toBe(Code.InvalidArgument);
      expect(e.rawMessage).toBe("friendlyName: must not contain a URL or domain name");
    }
  });
});

describe("AdminService in production", () => {
  // The tests run as development; the Worker as deployed refuses webhook URLs to internal
  // addresses (issue 17 item 4), through the same rule as REST. A complete production configuration:
  const token = "a-production-admin-token-for-tests";
  const production = {
    ...env,
    ENVIRONMENT: "production",
    API_KEYS: "ev_live_0123456789abcdef",
    CODE_SECRET: "a-real-secret-of-at-least-32-characters!",
    ADMIN_TOKEN: token,
  };
  const app = createApp();
  const deployedFetch: typeof fetch = async (input, init) =>
    app.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }), production, createExecutionContext());
  const deployed = createClient(AdminService, createConnectTransport({ baseUrl: "https://verify.example.test", fetch: deployedFetch, useBinaryFormat: true }));
  const asDeployedAdmin = { headers: { authorization: `Bearer ${token}` } };
  const refusal = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      return ConnectError.from(error);
    }
    throw new Error("accepted");
  };

  it("CreateService and UpdateService refuse an internal webhookUrl as InvalidArgument", async () => {
    const internal = ["https://169.254.169.254/", "https://[::1]/", "https://10.0.0.1/", "https://[fd00:ec2::254]/", "https://api.localhost/"];
    for (const webhookUrl of internal) {
      const error = await refusal(deployed.createService({ settings: { friendlyName: "Hooks", webhookUrl } }, asDeployedAdmin));
      expect(error.code, webhookUrl).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^webhookUrl: must be a public address: /);
    }
    const { service } = await deployed.createService({ settings: { friendlyName: "Hooks", webhookUrl: "https://hooks.example.com/ev" } }, asDeployedAdmin);
    for (const webhookUrl of internal) {
      const update = deployed.updateService({ serviceId: service!.id, settings: { friendlyName: "Hooks", webhookUrl }, updateMask: { paths: ["webhook_url"] } }, asDeployedAdmin);
      const error = await refusal(update);
      expect(error.code, webhookUrl).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^webhookUrl: /);
    }
    expect((await deployed.getService({ serviceId: service!.id }, asDeployedAdmin)).service!.settings!.webhookUrl).toBe("https://hooks.example.com/ev");
    await deployed.deleteService({ serviceId: service!.id }, asDeployedAdmin);
  });
});
