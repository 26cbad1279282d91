import { describe, expect, it } from "vitest";
import { newVerificationId, objectIdOf } from "../../src/core/ids.ts";

const OBJECT_ID = "0123456789abcdef".repeat(4);

describe("verification ids", () => {
  it("carry their Durable Object id and 128 random bits", () => {
    const a = newVerificationId(OBJECT_ID, (b) => crypto.getRandomValues(b));
    const b = newVerificationId(OBJECT_ID, (b) => crypto.getRandomValues(b));
    expect(a).toMatch(/^ve_[A-Za-z0-9_-]{64}$/);
    expect(a).not.toBe(b);
    expect(objectIdOf(a)).toBe(OBJECT_ID);
  });

  it("the random tail is the injected randomness", () => {
    const zero = newVerificationId(OBJECT_ID, (b) => b.fill(0));
    const one = newVerificationId(OBJECT_ID, (b) => b.fill(1));
    expect(zero.slice(0, 46)).toBe(one.slice(0, 46));
    expect(zero).not.toBe(one);
  });

  it.each([["ve_"], ["ve_" + "A".repeat(63)], ["xx_" + "A".repeat(64)], ["ve_" + "!".repeat(64)], [""]])("rejects %j", (id) => {
    expect(objectIdOf(id)).toBeNull();
  });
});
