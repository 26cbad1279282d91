// GET / (issue 11, defect 6): an HTML index for browsers, JSON for API clients, and no dead links.
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const get = (path: string, accept?: string) =>
  exports.default.fetch(new Request(`http://edge-verify.test${path}`, { headers: accept ? { accept } : {} }));

/** Every href and every "/…" value the page or document points at. */
function linksIn(html: string): string[] {
  return [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
}

describe("GET /", () => {
  it("a browser gets an HTML index whose every link answers 200 here", async () => {
    const response = await get("/", BROWSER_ACCEPT);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("vary")).toMatch(/accept/i);
    const html = await response.text();
    const links = linksIn(html);
    expect(links).toEqual(expect.arrayContaining(["/docs", "/openapi.json", "/playground", "/console"]));
    for (const link of links) {
      expect(link.startsWith("/"), `${link} is a link off this Worker`).toBe(true);
      expect((await get(link, BROWSER_ACCEPT)).status, link).toBe(200);
    }
  });

  it("an API client gets JSON whose links are routes of this Worker", async () => {
    for (const accept of [undefined, "application/json", "*/*"]) {
      const response = await get("/", accept);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await response.json()) as Record<string, string>;
      expect(body).toMatchObject({ name: "edge-verify", openapi: "/openapi.json", docs: "/docs" });
      // The pages it names answer here (rest and connect name API endpoints, not pages).
      const { rest: _rest, connect: _connect, name: _name, ...pages } = body;
      expect(Object.keys(pages).length).toBeGreaterThanOrEqual(2);
      for (const path of Object.values(pages)) expect((await get(path)).status, path).toBe(200);
      expect(JSON.stringify(body)).not.toContain("github.com");
    }
  });

  it("in production the playground and console are not advertised", async () => {
    const app = createApp();
    const prod = { ...env, ENVIRONMENT: "production" };
    const html = await (await app.fetch(new Request("http://x/", { headers: { accept: BROWSER_ACCEPT } }), prod, createExecutionContext())).text();
    expect(linksIn(html)).toEqual(["/docs", "/openapi.json"]);
    const json = (await (await app.fetch(new Request("http://x/"), prod, createExecutionContext())).json()) as Record<string, string>;
    expect(json).not.toHaveProperty("playground");
    expect(json).not.toHaveProperty("console");
  });
});
