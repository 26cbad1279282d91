import { describe, expect, it } from "vitest";
import { VerifyError } from "../../src/core/errors.ts";
import { parseServiceSettings, parseWebhookInternalHosts, parseWebhookUrl, type WebhookUrlRules } from "../../src/core/service.ts";

const PRODUCTION: WebhookUrlRules = { development: false, internalHosts: new Set() };
const DEVELOPMENT: WebhookUrlRules = { development: true, internalHosts: new Set() };

function refusal(run: () => unknown): VerifyError {
  try {
    run();
  } catch (error) {
    if (error instanceof VerifyError) return error;
    throw error;
  }
  throw new Error("accepted");
}

describe("parseWebhookUrl in production", () => {
  it.each([
    ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"],
    ["https://127.0.0.1/", "127.0.0.1 is loopback"],
    ["https://127.0.0.2:8443/hook", "127.0.0.2 is loopback"],
    ["https://[::1]/", "::1 is loopback"],
    ["https://[0:0:0:0:0:0:0:1]/", "::1 is loopback"],
    ["https://10.0.0.1/", "10.0.0.1 is private"],
    ["https://172.16.5.4/", "172.16.5.4 is private"],
    ["https://172.31.0.1/", "172.31.0.1 is private"],
    ["https://192.168.1.1/", "192.168.1.1 is private"],
    ["https://100.64.0.1/", "100.64.0.1 is shared (carrier-grade NAT)"],
    ["https://100.100.100.200/", "100.100.100.200 is shared (carrier-grade NAT)"],
    ["https://0.0.0.0/", "0.0.0.0 is unspecified"],
    ["https://[::]/", ":: is unspecified"],
    ["https://[fe80::1]/", "fe80::1 is link-local"],
    ["https://[fc00::1]/", "fc00::1 is unique-local"],
    ["https://[fd00:ec2::254]/", "fd00:ec2::254 is unique-local"],
    // IPv4-mapped forms (WHATWG URL writes them in hex).
    ["https://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is loopback"],
    ["https://[::ffff:a9fe:a9fe]/", "::ffff:a9fe:a9fe is link-local"],
    ["https://[0:0:0:0:0:ffff:10.0.0.1]/", "::ffff:a00:1 is private"],
    ["https://[::127.0.0.1]/", "::7f00:1 is loopback"],
    // Odd IPv4 spellings that WHATWG URL turns into dotted form.
    ["https://2130706433/", "127.0.0.1 is loopback"],
    ["https://0x7f.1/", "127.0.0.1 is loopback"],
    ["https://127.1/", "127.0.0.1 is loopback"],
    ["https://017700000001/", "127.0.0.1 is loopback"],
    ["https://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254 is link-local"],
    ["https://127.0.0.1./", "127.0.0.1 is loopback"],
    // localhost and its subdomains, whatever the case or a trailing dot.
    ["https://localhost/", "localhost is loopback"],
    ["https://LOCALHOST:8443/", "localhost is loopback"],
    ["https://localhost./", "localhost. is loopback"],
    ["https://api.localhost/", "api.localhost is loopback"],
    ["https://a.b.localhost./", "a.b.localhost. is loopback"],
  ])("refuses %s", (url, why) => {
    const error = refusal(() => parseWebhookUrl(url, PRODUCTION));
    expect(error.reason).toBe("invalid_argument");
    expect(error.details.field).toBe("webhookUrl");
    expect(error.message).toBe(`webhookUrl: must be a public address: ${why}`);
  });

  it.each([
    "https://hooks.example.com/edge-verify",
    "https://8.8.8.8/",
    "https://100.128.0.1/",
    "https://172.32.0.1/",
    "https://[2606:4700:4700::1111]/",
    "https://localhost.example.com/",
    "https://mylocalhost/",
    "https://localhost-hooks.example/",
  ])("accepts %s", (url) => {
    expect(parseWebhookUrl(url, PRODUCTION)).toBe(new URL(url).toString());
  });

  it("refuses http before asking where it points, and credentials anywhere", () => {
    expect(refusal(() => parseWebhookUrl("http://hooks.example.com/", PRODUCTION)).message).toBe("webhookUrl: must be https");
    expect(refusal(() => parseWebhookUrl("http://localhost/", PRODUCTION)).message).toBe("webhookUrl: must be https");
    expect(refusal(() => parseWebhookUrl("https://u:p@hooks.example.com/", PRODUCTION)).message).toBe("webhookUrl: must not contain credentials");
  });

  it("is the rule service settings use, on create and on update", () => {
    for (const partial of [false, true]) {
      const error = refusal(() => parseServiceSettings({ friendlyName: "x", webhookUrl: "https://[::1]/" }, { partial, webhookUrls: PRODUCTION }));
      expect(error.details.field).toBe("webhookUrl");
    }
  });
});

describe("parseWebhookUrl in development", () => {
  it.each(["http://localhost:3000/hook", "http://127.0.0.1:3000/hook", "http://[::1]:3000/hook", "https://localhost:8443/", "https://10.0.0.1/", "https://169.254.169.254/"])(
    "accepts %s (the developer's own machine and network)",
    (url) => {
      expect(parseWebhookUrl(url, DEVELOPMENT)).toBe(new URL(url).toString());
    },
  );

  it("still refuses http to anywhere but localhost", () => {
    expect(refusal(() => parseWebhookUrl("http://10.0.0.1/", DEVELOPMENT)).message).toBe("webhookUrl: must be https (or http to localhost in development)");
  });
});

describe("WEBHOOK_INTERNAL_HOSTS", () => {
  const hosts = (raw: string) => parseWebhookInternalHosts(raw, "WEBHOOK_INTERNAL_HOSTS");

  it("exempts exactly the listed hosts, as URL parsing writes them", () => {
    const rules: WebhookUrlRules = { development: false, internalHosts: hosts(" 0x7f.1, [FD00::5] ,hooks.localhost,") };
    expect([...rules.internalHosts]).toEqual(["127.0.0.1", "[fd00::5]", "hooks.localhost"]);
    for (const url of ["https://127.0.0.1:8443/hooks", "https://2130706433/", "https://[fd00:0::5]/", "https://hooks.localhost/"]) {
      expect(parseWebhookUrl(url, rules)).toBe(new URL(url).toString());
    }
    for (const url of ["https://127.0.0.2/", "https://169.254.169.254/", "https://[fd00::6]/", "https://localhost/"]) {
      expect(refusal(() => parseWebhookUrl(url, rules)).details.field).toBe("webhookUrl");
    }
    // Still https only.
    expect(refusal(() => parseWebhookUrl("http://127.0.0.1/", rules)).message).toBe("webhookUrl: must be https");
  });

  it("is empty unless set, and refuses what is not an internal host", () => {
    expect(hosts("").size).toBe(0);
    for (const entry of ["https://10.0.0.1", "10.0.0.1:8443", "10.0.0.1/hooks", "::1", "user@10.0.0.1"]) {
      expect(refusal(() => hosts(entry)).message).toMatch(/^WEBHOOK_INTERNAL_HOSTS: ".*" must be a host name or IP address/);
    }
    for (const entry of ["hooks.example.com", "8.8.8.8"]) {
      expect(refusal(() => hosts(entry)).message).toBe(`WEBHOOK_INTERNAL_HOSTS: "${entry}" is not an internal address; only those need listing`);
    }
  });
});

describe("webhookSigning", () => {
  it("takes v1 or v1a; null clears it on an update; anything else is refused naming the field", () => {
    for (const scheme of ["v1", "v1a"]) {
      expect(parseServiceSettings({ friendlyName: "x", webhookSigning: scheme }, { partial: false, webhookUrls: PRODUCTION }).webhookSigning).toBe(scheme);
    }
    expect(parseServiceSettings({ webhookSigning: null }, { partial: true, webhookUrls: PRODUCTION })).toEqual({ cleared: ["webhookSigning"] });
    for (const bad of ["v2", "V1A", "v1 ", "", "ed25519", 1, true, ["v1a"], { v: "v1a" }]) {
      const error = refusal(() => parseServiceSettings({ friendlyName: "x", webhookSigning: bad }, { partial: true, webhookUrls: PRODUCTION }));
      expect(error.details.field, JSON.stringify(bad)).toBe("webhookSigning");
      expect(error.message).toBe("webhookSigning: must be v1 (HMAC-SHA256) or v1a (Ed25519)");
    }
  });
});
