import { describe, expect, it } from "vitest";
import { generateCode, hashCode, importCodeKey, isWellFormedCode, macEqual, type RandomSource } from "../../src/core/codes.ts";

/** A random source that replays `bytes` in order (and fails loudly when exhausted). */
function replay(bytes: number[]): RandomSource {
  let i = 0;
  return (buffer) => {
    for (let j = 0; j < buffer.length; j++) {
      if (i >= bytes.length) throw new Error("random source exhausted");
      buffer[j] = bytes[i++]!;
    }
  };
}

describe("generateCode", () => {
  it("maps bytes below 250 to their last digit and rejects 250-255", () => {
    // 12 bytes are drawn for a 6-digit code; the rejected bytes must not appear as digits.
    const source = replay([255, 0, 250, 19, 249, 251, 37, 5, 252, 128, 99, 200]);
    expect(generateCode(6, source)).toBe("099758");
  });

  it("draws again when a whole batch is rejected", () => {
    const source = replay([250, 251, 252, 253, 254, 255, 250, 251, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(generateCode(4, source)).toBe("1234");
  });

  it("is uniform over digits (chi-square on 100k digits)", () => {
    const counts = new Array(10).fill(0);
    const code = generateCode(32, (b) => crypto.getRandomValues(b));
    expect(code).toMatch(/^\d{32}$/);
    for (let i = 0; i < 5000; i++) for (const d of generateCode(20, (b) => crypto.getRandomValues(b))) counts[Number(d)]++;
    const expected = 100_000 / 10;
    const chi = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: p = 0.0001 at 33.7. A `% 10` generator scores in the hundreds here.
    expect(chi).toBeLessThan(33.7);
  });

  it("refuses absurd lengths", () => {
    expect(() => generateCode(0, () => {})).toThrow(RangeError);
    expect(() => generateCode(33, () => {})).toThrow(RangeError);
  });
});

describe("hashCode", () => {
  it("is HMAC-SHA256(secret, id ‖ 0x00 ‖ code) — RFC 4231-style known vector", async () => {
    const key = await importCodeKey("key");
    const mac = await hashCode(key, "The quick brown fox jumps over the lazy dog", "");
    // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog\0")
    const expected = new Uint8Array(
      await crypto.subtle.sign(
        "HMAC",
        await crypto.subtle.importKey("raw", new TextEncoder().encode("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
        new TextEncoder().encode("The quick brown fox jumps over the lazy dog\u0000"),
      ),
    );
    expect(mac).toEqual(expected);
    // And the classic vector without the separator, to pin the primitive itself.
    const classic = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("The quick brown fox jumps over the lazy dog")),
    );
    expect(Array.from(classic, (b) => b.toString(16).padStart(2, "0")).join("")).toBe(
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
    );
  });

  it("binds the hash to the verification id and the secret", async () => {
    const a = await hashCode(await importCodeKey("secret-a"), "ve_1", "123456");
    expect(macEqual(a, await hashCode(await importCodeKey("secret-a"), "ve_1", "123456"))).toBe(true);
    expect(macEqual(a, await hashCode(await importCodeKey("secret-a"), "ve_2", "123456"))).toBe(false);
    expect(macEqual(a, await hashCode(await importCodeKey("secret-b"), "ve_1", "123456"))).toBe(false);
    expect(macEqual(a, await hashCode(await importCodeKey("secret-a"), "ve_1", "123457"))).toBe(false);
    // "ve_1" + "1" + "23456" must not collide with "ve_11" + "23456".
    expect(macEqual(await hashCode(await importCodeKey("s"), "ve_1", "123456"), await hashCode(await importCodeKey("s"), "ve_11", "23456"))).toBe(false);
  });

  it("macEqual treats different lengths as unequal", () => {
    expect(macEqual(new Uint8Array(32), new Uint8Array(31))).toBe(false);
  });
});

describe("isWellFormedCode", () => {
  it.each([
    ["1234", true],
    ["1234567890", true],
    ["123", false],
    ["12345678901", false],
    ["12a456", false],
    ["１２３４", false],
    [" 1234", false],
  ])("%j → %s", (code, ok) => {
    expect(isWellFormedCode(code)).toBe(ok);
  });
});
