// src/objects/namespaces.ts: DO_JURISDICTION (data residency) and verification ids turned into
// object ids. Every object holding personal data is reached through a namespace restricted to the
// jurisdiction. workerd does not implement jurisdictions ("not implemented in workerd"), so the
// restriction is shown with recording namespaces, and a scan of src/ shows no code reaches those
// bindings any other way.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { cryptoRandom } from "../../src/core/codes.ts";
import { newVerificationId, objectIdOf } from "../../src/core/ids.ts";
import { namespaceOf, verificationObjectId, type ObjectBinding } from "../../src/objects/namespaces.ts";
import { latestCode, uniqueNumber } from "../helpers.ts";

const sources = import.meta.glob(["../../src/**/*.ts", "../../src/**/*.tsx", "!../../src/gen/**", "!../../src/worker-configuration.d.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const BINDINGS: ObjectBinding[] = ["PHONE_VERIFICATION", "NUMBER_LISTS", "SCOPE_COUNTER", "SERVICE_REGISTRY", "TWILIO_SIDS", "INSIGHTS", "IDEMPOTENCY_KEYS"];

/**
 * A namespace whose jurisdiction(j) is another id space over the same objects: names become
 * "j/name", as a restricted namespace gives the same name another id. Records every call.
 */
function recording(real: DurableObjectNamespace, calls: string[], binding: string): DurableObjectNamespace {
  return {
    ...real,
    idFromName: (name: string) => real.idFromName(name),
    idFromString: (id: string) => real.idFromString(id),
    get: (id: DurableObjectId) => real.get(id),
    jurisdiction(j: string) {
      calls.push(`${binding}:${j}`);
      return { ...real, idFromName: (name: string) => real.idFromName(`${j}/${name}`), idFromString: (id: string) => real.idFromString(id), get: (id: DurableObjectId) => real.get(id) };
    },
  } as unknown as DurableObjectNamespace;
}

describe("DO_JURISDICTION", () => {
  it("namespaceOf restricts every personal-data binding to the jurisdiction in production", () => {
    const calls: string[] = [];
    const wrapped = Object.fromEntries(BINDINGS.map((b) => [b, recording((env as never)[b], calls, b)]));
    const prod = { ...wrapped, ENVIRONMENT: "production", DO_JURISDICTION: "eu" };
    for (const binding of BINDINGS) namespaceOf(prod, binding);
    expect(calls).toEqual(BINDINGS.map((b) => `${b}:eu`));
    // Unset: the plain namespace. In local development (workerd cannot restrict): the plain one too.
    calls.length = 0;
    for (const binding of BINDINGS) namespaceOf({ ...wrapped, ENVIRONMENT: "production" }, binding);
    for (const binding of BINDINGS) namespaceOf({ ...wrapped, ENVIRONMENT: "development", DO_JURISDICTION: "eu" }, binding);
    expect(calls).toEqual([]);
  });

  it("a start names its object in the jurisdiction, and the id routes get and check there in one hop", async () => {
    const calls: string[] = [];
    const wrapped = Object.fromEntries(BINDINGS.map((b) => [b, recording((env as never)[b], calls, b)]));
    // The Worker as deployed with DO_JURISDICTION=eu: production settings (the fake Twilio API).
    const key = "ev_jurisdiction_test_key_0001";
    const euEnv = {
      ...env,
      ...wrapped,
      ENVIRONMENT: "production",
      DO_JURISDICTION: "eu",
      API_KEYS: key,
      CODE_SECRET: "a-production-like-secret-for-the-jurisdiction-test",
      ADMIN_TOKEN: "",
    };
    const app = createApp();
    const to = uniqueNumber();
    const send = (method: string, path: string, body?: unknown) =>
      app.fetch(
        new Request(`http://x${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }),
        euEnv,
        createExecutionContext(),
      );
    const started = await send("POST", "/v1/verifications", { to });
    expect(started.status, await started.clone().text()).toBe(201);
    const { id } = (await started.json()) as { id: string };
    expect(objectIdOf(id)).toBe(env.PHONE_VERIFICATION.idFromName(`eu/default:${to}`).toString());
    expect(verificationObjectId(euEnv, id)?.toString()).toBe(objectIdOf(id));
    expect(calls).toContain("PHONE_VERIFICATION:eu");
    expect((await send("GET", `/v1/verifications/${id}`)).status).toBe(200);
    const code = await latestCode(to);
    const checked = (await (await send("POST", "/v1/verifications/check", { verificationId: id, code })).json()) as { status: string };
    expect(checked.status).toBe("approved");
  });

  it("verificationObjectId routes our ids and answers null for a malformed id or another namespace's object id", () => {
    const objectId = env.PHONE_VERIFICATION.idFromName(`namespaces-test:${uniqueNumber()}`);
    const ours = newVerificationId(objectId.toString(), cryptoRandom);
    expect(verificationObjectId(env, ours)?.equals(objectId)).toBe(true);
    for (const malformed of ["", "ve_", ours.slice(0, -1), ours.replace("ve_", "vx_"), `${ours.slice(0, -1)}!`]) expect(verificationObjectId(env, malformed), malformed).toBeNull();
    // Well-formed, but the Durable Object part is an id of another namespace (or none at all).
    const foreign = newVerificationId(env.NUMBER_LISTS.idFromName("x").toString(), cryptoRandom);
    expect(objectIdOf(foreign)).not.toBeNull();
    expect(verificationObjectId(env, foreign)).toBeNull();
    expect(verificationObjectId(env, newVerificationId("ff".repeat(32), cryptoRandom))).toBeNull();
  });

  it("no code in src/ reaches a personal-data binding except through namespaceOf", () => {
    const offenders: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      if (path.endsWith("objects/namespaces.ts")) continue;
      for (const binding of BINDINGS) if (new RegExp(`env\\.${binding}\\b`).test(text)) offenders.push(`${path}: env.${binding}`);
    }
    expect(Object.keys(sources).length).toBeGreaterThan(30);
    expect(offenders).toEqual([]);
  });

  it("an unknown jurisdiction fails closed at startup", () => {
    const dev = env as unknown as Record<string, unknown>;
    expect(() => parseConfig({ ...dev, DO_JURISDICTION: "mars" })).toThrow(/DO_JURISDICTION must be one of eu, fedramp/);
    expect(parseConfig({ ...dev, DO_JURISDICTION: "eu" }).jurisdiction).toBe("eu");
    expect(parseConfig(dev).jurisdiction).toBeNull();
  });
});
