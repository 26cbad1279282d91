// Logs are structured JSON with masked numbers; no code, no full number, no secret.
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, fakeTwilioBehaviour, json, latestCode, uniqueNumber, wrongCode } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("a whole flow logs only JSON lines without the code or the full number", async () => {
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) });
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code });
    const failing = uniqueNumber();
    await fakeTwilioBehaviour(failing, { status: 400, body: { code: 21211, message: "bad", status: 400 }, times: 1 });
    await call("POST", "/v1/verifications", { to: failing });

    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry).toHaveProperty("event");
      expect(line).not.toContain(code);
      expect(line).not.toContain(to);
      expect(line).not.toContain(failing);
      expect(line).not.toContain("dev-only-code-secret");
      expect(line).not.toContain("fake-twilio-auth-token");
    }
    expect(lines.some((l) => l.includes(`${to.slice(0, 5)}****${to.slice(-3)}`))).toBe(true);
  });
});
