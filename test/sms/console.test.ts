// The console provider: prints the message, and hands a copy to the dev outbox when given one.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { createConsoleSender } from "../../src/sms/console.ts";
import { createSenders } from "../../src/sms/index.ts";

describe("console sender", () => {
  it("prints the message and keeps a copy in the outbox", async () => {
    const lines: string[] = [];
    const kept: unknown[] = [];
    const sender = createConsoleSender({ log: (line) => lines.push(line), outbox: async (m) => void kept.push(m) });
    const result = await sender.send({ to: "+14155552671", body: "123456 is your code" });
    expect(result.provider).toBe("console");
    expect(lines.join("\n")).toContain("123456 is your code");
    expect(kept).toEqual([{ to: "+14155552671", body: "123456 is your code", messageId: result.messageId }]);
  });

  it("still sends when the outbox fails: the terminal keeps the message", async () => {
    const lines: string[] = [];
    const sender = createConsoleSender({ log: (line) => lines.push(line), outbox: async () => Promise.reject(new Error("object gone")) });
    await expect(sender.send({ to: "+14155552671", body: "123456 is your code" })).resolves.toMatchObject({ provider: "console" });
    expect(lines.at(-1)).toContain("dev outbox unavailable: object gone");
  });

  it("is wired to the outbox through createSenders in development", async () => {
    const kept: unknown[] = [];
    const config = parseConfig({ ENVIRONMENT: "development", API_KEYS: "ev_dev_local_only_key", CODE_SECRET: "x", SMS_PROVIDER: "console" });
    const [sender] = createSenders(config, fetch, { devOutbox: async (m) => void kept.push(m) });
    await sender!.send({ to: "+14155552671", body: "654321 is your code" });
    expect(kept).toHaveLength(1);
  });
});
