// Localised messages, WebOTP and app-hash lines, encoding and segments, through the API.
import { describe, expect, it } from "vitest";
import { call, json, latestCode, messagesTo, uniqueNumber } from "../helpers.ts";

describe("message text", () => {
  it.each([
    ["pt-BR", "pt-BR"],
    ["es-MX", "es"],
    ["fr-CA", "fr"],
    ["zh-TW", "zh-Hant"],
    ["xx", "en"],
    ["", "en"],
  ])("locale %j renders the %s template and records it", async (locale, used) => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, locale, serviceName: "Acme" }));
    expect(v.locale).toBe(used);
    const [message] = await messagesTo(to);
    expect(message!.body).toContain(await latestCode(to));
    expect(message!.body).toContain("Acme");
    expect(v.messageSegments).toBe(1);
  });

  it("reports UCS-2 for Japanese and GSM-7 for English", async () => {
    const ja = uniqueNumber();
    expect(await json(await call("POST", "/v1/verifications", { to: ja, locale: "ja" }))).toMatchObject({ messageEncoding: "UCS-2", messageSegments: 1 });
    const en = uniqueNumber();
    expect(await json(await call("POST", "/v1/verifications", { to: en, locale: "en" }))).toMatchObject({ messageEncoding: "GSM-7", messageSegments: 1 });
  });

  it("a service name with placeholders is inserted literally", async () => {
    const to = uniqueNumber();
    await call("POST", "/v1/verifications", { to, serviceName: "{{code}} Corp" });
    const [message] = await messagesTo(to);
    expect(message!.body).toContain("{{code}} Corp");
    expect(message!.body.match(/\b\d{6}\b/g)).toHaveLength(1);
  });

  it("webOtpDomain appends the origin-bound last line, appHash its own line", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, webOtpDomain: "app.example.com", appHash: "FA+9qCX9VSu" }));
    expect(v.status).toBe("pending");
    const [message] = await messagesTo(to);
    const code = await latestCode(to);
    const lines = message!.body.split("\n");
    expect(lines.at(-1)).toBe(`@app.example.com #${code}`);
    expect(lines.at(-2)).toBe("FA+9qCX9VSu");
  });

  it.each([
    [{ webOtpDomain: "https://example.com" }, "webOtpDomain"],
    [{ webOtpDomain: "example.com\n@evil.com" }, "webOtpDomain"],
    [{ appHash: "short" }, "appHash"],
    [{ appHash: 12345678901 }, "appHash"],
  ])("refuses %j naming %s, and sends nothing", async (extra, field) => {
    const to = uniqueNumber();
    const response = await call("POST", "/v1/verifications", { to, ...extra });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "invalid_argument", details: [{ field }] });
    expect(await messagesTo(to)).toHaveLength(0);
  });
});
