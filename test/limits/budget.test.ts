// The deployment's daily SMS budget (project "limits-budget": 20 a day over 4 shards).
import { describe, expect, it } from "vitest";
import { rest } from "../clients.ts";
import { messagesTo } from "../helpers.ts";

describe("daily SMS budget", () => {
  it("is never overshot by concurrent sends to many numbers", async () => {
    // 80 numbers in 80 ranges: a start's budget shard is picked by its range, so they spread over the shards.
    const numbers = Array.from({ length: 80 }, (_v, i) => `+336${String(12_000_000 + i * 13_721).padStart(8, "0")}`);
    const answers = await Promise.all(numbers.map((to) => rest.start({ to })));
    const sent = (await Promise.all(numbers.map((to) => messagesTo(to)))).flat();
    const accepted = answers.filter((a) => a.code === "ok").length;
    expect(accepted).toBeLessThanOrEqual(20);
    // Shards are filled by number hash, so a few units may stay unused; most are spent.
    expect(accepted).toBeGreaterThanOrEqual(16);
    expect(sent).toHaveLength(accepted);
    const refused = answers.filter((a) => a.code !== "ok");
    expect(refused.filter((a) => !(a.code === "resource_exhausted" && a.rule === "budget"))).toEqual([]);
  });
});
