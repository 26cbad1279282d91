// Every rule in monitor mode (project "limits-monitor": all limits at 1, only US allowed, every
// rule monitor, console fallback provider): requests go through and report the risk.
import { describe, expect, it } from "vitest";
import { CLIENTS, rest } from "../clients.ts";
import { call, fakeTwilioBehaviour, json, messagesTo } from "../helpers.ts";

describe("monitor mode reports risk and refuses nothing", () => {
  for (const [index, client] of CLIENTS.entries()) {
    // One number per client: a second start to the same number would meet its resend cooldown.
    it.each([
      [`+1900555012${index}`, "premium_rate"],
      [`+1800555019${index}`, "line_type_not_allowed"],
      [`+3314000000${index}`, "landline"],
      [`+659123456${index}`, "country_not_allowed"],
    ])(`${client.name}: %s goes through with risk %s`, async (to, risk) => {
      const answer = await client.start({ to });
      expect(answer.code).toBe("ok");
      expect(answer.risk).toContain(risk);
    });
  }

  it("velocity, budget and deny list in monitor mode", async () => {
    const first = await rest.start({ to: "+12125550101", clientIp: "198.51.100.5" });
    expect(first.code).toBe("ok");
    const second = await rest.start({ to: "+12125550102", clientIp: "198.51.100.5" });
    expect(second.code).toBe("ok");
    // Same IP, same range, same country, and past the 1-SMS budget: all four would have blocked.
    expect(second.risk).toEqual(expect.arrayContaining(["velocity_ip", "velocity_range", "velocity_country", "budget_exceeded"]));

    expect((await call("PUT", "/v1/lists/deny/%2B12125550199")).status).toBe(200);
    const denied = await rest.start({ to: "+12125550199" });
    expect(denied.code).toBe("ok");
    expect(denied.risk).toContain("deny_list");
  });
});

describe("conversion guard in monitor mode (minimum 2 starts a range)", () => {
  it("a range with 2 unapproved numbers lets the third through with risk conversion_guard", async () => {
    const first = await rest.start({ to: "+13035550111" });
    const second = await rest.start({ to: "+13035550112" });
    expect([first.code, second.code]).toEqual(["ok", "ok"]);
    expect(second.risk ?? []).not.toContain("conversion_guard");
    const third = await rest.start({ to: "+13035550113" });
    expect(third.code).toBe("ok");
    expect(third.risk).toContain("conversion_guard");
    expect(await messagesTo("+13035550113")).toHaveLength(1);
  });
});

describe("provider outage with a fallback provider", () => {
  it("after the retries on the primary, the fallback sends the same code", async () => {
    const to = "+12125550177";
    await fakeTwilioBehaviour(to, { status: 503, times: 3 });
    const response = await call("POST", "/v1/verifications", { to });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ status: "pending", provider: "console", failureReason: "" });
    expect(await messagesTo(to)).toHaveLength(0);
  });
});
