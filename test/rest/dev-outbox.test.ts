// The dev outbox (GET /v1/dev/outbox) and the playground page exist only in local development:
// the outbox only with the console provider, and in production both answer like unknown routes.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { DevOutbox, devOutbox, OUTBOX_SIZE } from "../../src/objects/dev-outbox.ts";
import { DEV_KEY, json } from "../helpers.ts";
import wranglerToml from "../../wrangler.toml?raw";

const app = createApp();
const consoleDev = { ...env, SMS_PROVIDER: "console" };
// A complete production configuration, so config loads and only the environment differs.
const production = {
  ...env,
  ENVIRONMENT: "production",
  API_KEYS: "ev_live_0123456789abcdef",
  CODE_SECRET: "a-real-secret-of-at-least-32-characters!",
  ADMIN_TOKEN: undefined, // the dev token is refused in production
};

function get(path: string, bindings: object, key: string | null = DEV_KEY): Promise<Response> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  return Promise.resolve(app.fetch(new Request(`http://x${path}`, { headers }), bindings));
}

describe("GET /v1/dev/outbox", () => {
  it("lists the console provider's messages, newest first, in development", async () => {
    const to = "+14155550100";
    await devOutbox(env).add({ messageId: "console-a", to, body: "111111 is your code" });
    await devOutbox(env).add({ messageId: "console-b", to, body: "222222 is your code" });
    const response = await get("/v1/dev/outbox", consoleDev);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { messages } = await json(response);
    const mine = messages.filter((m: { to: string }) => m.to === to);
    expect(mine.map((m: { body: string }) => m.body)).toEqual(["222222 is your code", "111111 is your code"]);
    expect(mine[0]).toMatchObject({ messageId: "console-b", to, createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(mine[0].seq).toBeGreaterThan(mine[1].seq);
  });

  it("keeps only the newest messages", async () => {
    for (let i = 0; i < OUTBOX_SIZE + 5; i++) await devOutbox(env).add({ messageId: `console-${i}`, to: "+14155550101", body: `message ${i}` });
    const { messages } = await json(await get("/v1/dev/outbox", consoleDev));
    expect(messages).toHaveLength(OUTBOX_SIZE);
    expect(messages[0].body).toBe(`message ${OUTBOX_SIZE + 4}`);
    expect(messages.at(-1).body).toBe("message 5");
  });

  it("is behind the API key", async () => {
    expect((await get("/v1/dev/outbox", consoleDev, null)).status).toBe(401);
    expect((await get("/v1/dev/outbox", consoleDev, "ev_wrong_key_0000000000")).status).toBe(401);
  });

  it("does not exist in development with a real provider", async () => {
    const response = await get("/v1/dev/outbox", env); // the test env sends through a fake Twilio
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({ code: "not_found", message: "no route for GET /v1/dev/outbox", details: [{ reason: "not_found" }] });
  });

  it("does not exist in production: the same 404 as an unknown route", async () => {
    const outbox = await get("/v1/dev/outbox", production, "ev_live_0123456789abcdef");
    const unknown = await get("/v1/dev/nothing", production, "ev_live_0123456789abcdef");
    expect(outbox.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect((await json(outbox)).code).toBe((await json(unknown)).code);
    // Without a key it is refused like every /v1 path, before anything is looked up.
    expect((await get("/v1/dev/outbox", production, null)).status).toBe(401);
  });

  it("the outbox object itself refuses to store or list outside development", async () => {
    await runInDurableObject(devOutbox(env), async (_instance: DevOutbox, state) => {
      const deployed = new DevOutbox(state, { ...env, ENVIRONMENT: "production" } as Env);
      await expect(deployed.add({ messageId: "m", to: "+14155550102", body: "333333" })).rejects.toThrow(/only when ENVIRONMENT=development/);
      await expect(deployed.list()).rejects.toThrow(/only when ENVIRONMENT=development/);
    });
  });
});

describe("GET /playground", () => {
  it("serves the page in development with the dev key prefilled and the outbox panel", async () => {
    const response = await get("/playground", consoleDev, null);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`value="${DEV_KEY}"`);
    expect(html).toContain('id="outbox"');
    expect(html).not.toMatch(/https?:\/\/(?!x)/); // nothing loaded from elsewhere
  });

  it("shows no outbox with a real provider, and prefills no key the deployment does not accept", async () => {
    const html = await (await get("/playground", { ...env, API_KEYS: "ev_other_key_0000000001" }, null)).text();
    expect(html).not.toContain('id="outbox"');
    expect(html).not.toContain(DEV_KEY);
  });

  it("serves its script and stylesheet from the Worker", async () => {
    const script = await get("/playground/playground.js", consoleDev, null);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("/v1/verifications/check");
    const css = await get("/playground/playground.css", consoleDev, null);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("does not exist in production, configured or not", async () => {
    for (const path of ["/playground", "/playground/playground.js", "/playground/playground.css"]) {
      expect((await get(path, production, null)).status).toBe(404);
      expect((await get(path, { ...env, ENVIRONMENT: "production", API_KEYS: undefined }, null)).status).toBe(404);
    }
  });

  it("reaches the Worker's guard before the asset router, in every environment of wrangler.toml", () => {
    // The script is a static asset (dist/assets/playground/playground.js): without run_worker_first
    // the asset router would serve it in production without running the guard above.
    const assetDirectories = wranglerToml.match(/directory = "\.\/dist\/assets"/g) ?? [];
    const workerFirst = wranglerToml.match(/run_worker_first = \["\/playground\/\*"\]/g) ?? [];
    expect(assetDirectories.length).toBeGreaterThan(0);
    expect(workerFirst.length).toBe(assetDirectories.length);
  });
});
