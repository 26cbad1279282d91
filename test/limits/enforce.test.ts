// Cross-number rules in enforce mode (project "limits-enforce": IP 3/h, range 3/h, country 5/h
// unsharded, countries US,CA,GB,FR,DE,JM,NL,BE). Each test uses its own country so the
// per-country cap of one test never meets another's.
import { describe, expect, it } from "vitest";
import { CLIENTS, rest } from "../clients.ts";
import { call, json, messagesTo } from "../helpers.ts";

const codes = (answers: { code: string }[]) => answers.map((a) => a.code);

describe("number-type and country rules (enforced)", () => {
  for (const client of CLIENTS) {
    it.each([
      ["+19005550123", "line_type"], // premium rate
      ["+18005550199", "line_type"], // toll free
      ["+33140000000", "landline"], // FR fixed line
      ["+6591234567", "country_allowlist"], // SG, not allowed
    ])(`${client.name}: %s is refused by rule %s and nothing is sent`, async (to, rule) => {
      const answer = await client.start({ to });
      expect(answer).toMatchObject({ code: "permission_denied", rule });
      expect(await messagesTo(to)).toHaveLength(0);
    });
  }

  it("Jamaica (+1 876) is JM for the allowlist, and US/CA fixed-line-or-mobile is accepted", async () => {
    expect((await rest.start({ to: "+18764441234" })).code).toBe("ok");
    expect((await rest.start({ to: "+14165550100" })).code).toBe("ok"); // Toronto
  });
});

describe("velocity rules (enforced)", () => {
  it("at most 3 starts per client IP per hour; the IP is the request field, never a header", async () => {
    const de = (i: number) => `+4915112345${String(600 + i * 11)}`; // distinct ranges
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await rest.start({ to: de(i), clientIp: "203.0.113.7" }, { "x-forwarded-for": `198.51.100.${i}` }));
    expect(codes(answers)).toEqual(["ok", "ok", "ok", "resource_exhausted"]);
    expect(answers[3]).toMatchObject({ rule: "velocity_ip" });
    expect(answers[3]!.retryAfterSeconds).toBeGreaterThan(0);
    for (const clientIp of ["not-an-ip", "fe80::1%eth0", "[2001:db8::1]", "203.0.113.7:443", "203.0.113.07", "::ffff:203.0.113.07"]) {
      const bad = await call("POST", "/v1/verifications", { to: de(9), clientIp });
      expect(bad.status, clientIp).toBe(400);
      expect(await json(bad)).toMatchObject({ code: "invalid_argument", details: [{ field: "clientIp" }] });
    }
  });

  // Issue 17 item 2: every IPv4-mapped address used to fall into the one /64 ::ffff:0:0/64 counter.
  it("IPv4-mapped clients are counted as their IPv4 address, not as one shared IPv6 /64", async () => {
    const be = (i: number) => `+3247${i}123456`; // distinct ranges
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await rest.start({ to: be(i), clientIp: "::ffff:198.51.100.218" }));
    // A different user behind another IPv4 address is not held back by the first one's starts.
    answers.push(await rest.start({ to: be(3), clientIp: "::ffff:203.0.113.219" }));
    expect(codes(answers)).toEqual(["ok", "ok", "ok", "ok"]);
  });

  it("one IPv4 address is one counter however it is written", async () => {
    const fr = (i: number) => `+3361${i}005678`; // distinct ranges
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await rest.start({ to: fr(i), clientIp: "192.0.2.177" }));
    for (const [i, clientIp] of ["::ffff:192.0.2.177", "::FFFF:C000:02B1", "0:0:0:0:0:ffff:192.0.2.177", "::192.0.2.177"].entries()) {
      answers.push(await rest.start({ to: fr(3 + i), clientIp }));
    }
    expect(codes(answers)).toEqual(["ok", "ok", "ok", "resource_exhausted", "resource_exhausted", "resource_exhausted", "resource_exhausted"]);
    expect(answers.slice(3).map((a) => a.rule)).toEqual(Array(4).fill("velocity_ip"));
  });

  it("IPv6 clients are counted per /64", async () => {
    const nl = (i: number) => `+3161234${String(1000 + i * 1111).slice(0, 4)}`.padEnd(12, "0");
    const ips = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:0db8:0001:0002:0:0:0:5", "2001:db8:1:2::77"];
    const answers = [];
    for (const [i, clientIp] of ips.entries()) answers.push(await rest.start({ to: nl(i), clientIp }));
    expect(codes(answers)).toEqual(["ok", "ok", "ok", "resource_exhausted"]);
    expect(answers[3]).toMatchObject({ rule: "velocity_ip" });
  });

  it("at most 3 sends per number range per hour, and a refused start gives its other units back", async () => {
    const range = (last: number) => `+1212555${String(1000 + last)}`;
    expect((await rest.start({ to: range(1), clientIp: "192.0.2.1" })).code).toBe("ok");
    expect((await rest.start({ to: range(2), clientIp: "192.0.2.1" })).code).toBe("ok");
    expect((await rest.start({ to: range(3), clientIp: "192.0.2.2" })).code).toBe("ok");
    // Range full. The refused start took an IP unit for 192.0.2.1 and must have given it back...
    expect(await rest.start({ to: range(4), clientIp: "192.0.2.1" })).toMatchObject({ code: "resource_exhausted", rule: "velocity_range" });
    // ...so that IP has one start left (2 used), not none.
    expect((await rest.start({ to: "+12125561234", clientIp: "192.0.2.1" })).code).toBe("ok");
    expect(await rest.start({ to: "+12125571234", clientIp: "192.0.2.1" })).toMatchObject({ code: "resource_exhausted", rule: "velocity_ip" });
  });

  it("the per-country hourly cap (5 for GB here)", async () => {
    const gb = ["+447400123401", "+447500123402", "+447700123403", "+447800123404", "+447900123405", "+447451234506"];
    const answers = [];
    for (const to of gb) answers.push(await rest.start({ to }));
    expect(codes(answers)).toEqual(["ok", "ok", "ok", "ok", "ok", "resource_exhausted"]);
    expect(answers[5]).toMatchObject({ rule: "velocity_country" });
    expect(await messagesTo(gb[5]!)).toHaveLength(0);
  });
});
