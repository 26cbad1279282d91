// AdminService over Connect: the same admin operations as REST, guarded by the admin token.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { toJsonString } from "@bufbuild/protobuf";
import { registryOf } from "../../src/auth.ts";
import { DEV_CODE_SECRET } from "../../src/config.ts";
import { openPrivateKey, REPLACED_KEY_SIGNS_MS } from "../../src/core/webhook-signing.ts";
import { AdminService, ServiceSchema, type Service } from "../../src/gen/verify/v1/admin_pb.ts";
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

describe("AdminService: webhook signing", () => {
  it("webhook_signing (field 15) and webhook_public_key (field 8): set, read back, cleared with the mask", async () => {
    const { service } = await admin.createService({ settings: { friendlyName: "Rpc hooks", webhookSigning: "v1a" } }, asAdmin);
    expect(service!.settings!.webhookSigning).toBe("v1a");
    expect(service!.webhookPublicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const { service: cleared } = await admin.updateService({ serviceId: service!.id, settings: { friendlyName: "Rpc hooks" }, updateMask: { paths: ["webhook_signing"] } }, asAdmin);
    expect(cleared!.settings!.webhookSigning).toBe("");
    expect(cleared!.webhookPublicKey).toBe(service!.webhookPublicKey);
    const { service: plain } = await admin.createService({ settings: { friendlyName: "Rpc plain" } }, asAdmin);
    expect(plain!.settings!.webhookSigning).toBe("");
    expect(plain!.webhookPublicKey).toMatch(/^whpk_/);
  });

  it("a webhook_signing that is not v1 or v1a is InvalidArgument naming webhookSigning, and changes nothing", async () => {
    for (const webhookSigning of ["v2", "V1A", "ed25519"]) {
      try {
        await admin.createService({ settings: { friendlyName: "x", webhookSigning } }, asAdmin);
        throw new Error("accepted");
      } catch (error) {
        const e = ConnectError.from(error);
        expect(e.code).toBe(Code.InvalidArgument);
        expect(e.rawMessage).toBe("webhookSigning: must be v1 (HMAC-SHA256) or v1a (Ed25519)");
      }
    }
    const { service } = await admin.createService({ settings: { friendlyName: "Rpc keep", webhookSigning: "v1a" } }, asAdmin);
    try {
      await admin.updateService({ serviceId: service!.id, settings: { friendlyName: "x", webhookSigning: "v9" }, updateMask: { paths: ["webhook_signing"] } }, asAdmin);
      throw new Error("accepted");
    } catch (error) {
      expect(ConnectError.from(error).rawMessage).toMatch(/^webhookSigning: /);
    }
    expect((await admin.getService({ serviceId: service!.id }, asAdmin)).service!.settings!.webhookSigning).toBe("v1a");
  });

  it("RotateWebhookKey: a new public key, the replaced one signing until previous_key_expire_time; the private key in no answer", async () => {
    const answers: string[] = [];
    const keep = <T extends { service?: Service }>(response: T): T => {
      if (response.service) answers.push(toJsonString(ServiceSchema, response.service));
      return response;
    };
    const { service } = keep(await admin.createService({ settings: { friendlyName: "Rpc rotate", webhookSigning: "v1a" } }, asAdmin));
    keep(await admin.getService({ serviceId: service!.id }, asAdmin));
    const before = Date.now();
    const rotated = keep(await admin.rotateWebhookKey({ serviceId: service!.id }, asAdmin));
    expect(rotated.service!.webhookPublicKey).not.toBe(service!.webhookPublicKey);
    const until = Number(rotated.previousKeyExpireTime!.seconds) * 1000;
    expect(until - before).toBeGreaterThan(REPLACED_KEY_SIGNS_MS - 2_000);
    expect(until - before).toBeLessThan(REPLACED_KEY_SIGNS_MS + 10_000);
    keep(await admin.updateService({ serviceId: service!.id, settings: { friendlyName: "Rpc rotated" }, updateMask: { paths: ["friendly_name"] } }, asAdmin));
    for (const s of (await admin.listServices({}, asAdmin)).services) answers.push(toJsonString(ServiceSchema, s));

    const stored = (await registryOf(env).getService(service!.id))!;
    const sealed = [stored.webhookSealedKey, ...stored.webhookReplacedKeys.flatMap((k) => (k.signing === "v1a" ? [k.sealedKey] : []))];
    const privateKeys = await Promise.all(sealed.map((k) => openPrivateKey(k, { secret: DEV_CODE_SECRET, serviceId: service!.id })));
    expect(privateKeys).toHaveLength(2);
    for (const text of answers) {
      expect(text).not.toContain("whsk_");
      expect(text).not.toContain("sealed1.");
      for (const privateKey of privateKeys) expect(text).not.toContain(privateKey.slice("whsk_".length));
    }

    try {
      await admin.rotateWebhookKey({ serviceId: "VA00000000000000000000000000000000" }, asAdmin);
      throw new Error("accepted");
    } catch (error) {
      expect(ConnectError.from(error).code).toBe(Code.NotFound);
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
