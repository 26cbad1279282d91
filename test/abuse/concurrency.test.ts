// Every per-number limit holds under parallel requests: each number's state lives in one object
// that serialises its transitions. Run over REST and Connect.
import { describe, expect, it } from "vitest";
import { CLIENTS } from "../clients.ts";
import { fakeTwilioBehaviour, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const count = (answers: { status?: string; code: string }[], key: string) => answers.filter((a) => (a.status ?? a.code) === key).length;

for (const client of CLIENTS) {
  describe(`concurrency over ${client.name}`, () => {
    it("50 parallel wrong checks: exactly 5 invalid, the rest max_attempts_reached; the right code then fails", async () => {
      const to = uniqueNumber();
      const { id } = await client.start({ to });
      const code = await latestCode(to);
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.check({ verificationId: id, code: wrongCode(code) })));
      expect(count(answers, "invalid")).toBe(5);
      expect(count(answers, "max_attempts_reached")).toBe(45);
      expect((await client.check({ verificationId: id, code })).status).toBe("max_attempts_reached");
    });

    it("49 wrong and 1 right in parallel: at most one approval", async () => {
      const to = uniqueNumber();
      const { id } = await client.start({ to });
      const code = await latestCode(to);
      const bodies = Array.from({ length: 50 }, (_v, i) => ({ verificationId: id, code: i === 25 ? code : wrongCode(code) }));
      const answers = await Promise.all(bodies.map((body) => client.check(body)));
      expect(count(answers, "approved")).toBeLessThanOrEqual(1);
      expect(count(answers, "invalid")).toBeLessThanOrEqual(5);
    });

    it("50 parallel right checks: exactly one approval, the others refused", async () => {
      const to = uniqueNumber();
      const { id } = await client.start({ to });
      const code = await latestCode(to);
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.check({ verificationId: id, code })));
      expect(count(answers, "approved")).toBe(1);
      expect(count(answers, "failed_precondition")).toBe(49);
    });

    it("4 wrong, resend, wrong, wrong: locked, and the new right code is refused", async () => {
      const to = uniqueNumber();
      const { id } = await client.start({ to });
      const first = await latestCode(to);
      for (let i = 0; i < 4; i++) expect((await client.check({ verificationId: id, code: wrongCode(first) })).status).toBe("invalid");
      await timeTravel(to, 31_000);
      expect(await client.start({ to })).toMatchObject({ code: "ok", id });
      const second = await latestCode(to);
      expect((await client.check({ verificationId: id, code: wrongCode(second) })).status).toBe("invalid");
      expect((await client.check({ verificationId: id, code: wrongCode(second) })).status).toBe("max_attempts_reached");
      expect((await client.check({ verificationId: id, code: second })).status).toBe("max_attempts_reached");
    });

    it("20 concurrent starts to one number with a slow provider: one SMS", async () => {
      const to = uniqueNumber();
      await fakeTwilioBehaviour(to, { delayMs: 400, times: 1 });
      const answers = await Promise.all(Array.from({ length: 20 }, () => client.start({ to })));
      expect(count(answers, "pending")).toBe(1);
      expect(count(answers, "resource_exhausted")).toBe(19);
      for (const refused of answers.filter((a) => a.code !== "ok")) {
        expect(refused.rule).toBe("resend_cooldown");
        expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(29);
      }
      expect(await messagesTo(to)).toHaveLength(1);
    });

    it("50 concurrent starts with one idempotency key: one SMS, one id, 49 replays", async () => {
      const to = uniqueNumber();
      await fakeTwilioBehaviour(to, { delayMs: 200, times: 1 });
      const key = crypto.randomUUID();
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.start({ to }, { "idempotency-key": key })));
      expect(answers.every((a) => a.code === "ok")).toBe(true);
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(answers.filter((a) => a.replayed)).toHaveLength(49);
      expect(await messagesTo(to)).toHaveLength(1);
    });
  });
}
