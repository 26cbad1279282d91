/// <reference types="vite/client" />
// Issue 11, defect 7: every example number shown to a user — in the pages this Worker serves and
// in the docs — is one the service accepts. A number shown as a test number (TEST_NUMBERS,
// testNumbers) is accepted as one, so it only has to be a valid number.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parsePhoneNumber } from "../../src/core/phone.ts";
import { numberRuleHits } from "../../src/core/policy.ts";

const docs = import.meta.glob(["../../README.md", "../../docs/**/*.md", "../../clients/**/*.md", "!../../**/node_modules/**"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const PAGES = ["/", "/playground", "/playground/playground.js", "/console", "/console/console.js", "/docs", "/openapi.json"];

interface Example {
  where: string;
  text: string;
  testNumber: boolean;
}

/**
 * "+" and digits with spaces or dashes. A run of groups may be a number followed by something else
 * ("+14155550123 123456" is a number and a code), so the longest leading run of groups that parses
 * is the number; a candidate with fewer than 8 digits is a prefix ("+1 876"), not an example.
 */
function examplesIn(where: string, text: string): Example[] {
  const found: Example[] = [];
  text.split("\n").forEach((line, i) => {
    for (const match of line.matchAll(/\+\d+(?:[ -]\d+)*/g)) {
      if (match[0].replace(/\D/g, "").length < 8) continue;
      found.push({ where: `${where}:${i + 1}`, text: match[0], testNumber: /test.?numbers?/i.test(line) });
    }
  });
  return found;
}

/** Null when accepted; otherwise why not. */
function refusal(example: Example): string | null {
  const groups = example.text.split(/[ -]/);
  for (let n = groups.length; n > 0; n--) {
    const candidate = groups.slice(0, n).join(" ");
    if (candidate.replace(/\D/g, "").length < 8) break;
    try {
      const phone = parsePhoneNumber(candidate);
      if (example.testNumber) return null;
      const hits = numberRuleHits(phone, null);
      return hits.length === 0 ? null : hits[0]!.message;
    } catch {
      // Try the shorter run.
    }
  }
  return "not a valid number";
}

describe("example numbers", () => {
  it("the docs have examples to check (the glob found them)", () => {
    expect(Object.keys(docs).some((path) => path.endsWith("README.md"))).toBe(true);
    expect(Object.keys(docs).length).toBeGreaterThan(5);
  });

  it("every example in README.md, docs/ and clients/ is accepted", () => {
    const examples = Object.entries(docs).flatMap(([path, text]) => examplesIn(path.replace(/^(\.\.\/)+/, ""), text));
    expect(examples.length).toBeGreaterThan(10);
    const bad = examples.map((e) => ({ ...e, why: refusal(e) })).filter((e) => e.why !== null);
    expect(bad.map((e) => `${e.where} ${e.text}: ${e.why}`)).toEqual([]);
  });

  it("every example on the pages this Worker serves is accepted", async () => {
    let count = 0;
    const bad: string[] = [];
    for (const page of PAGES) {
      const response = await exports.default.fetch(new Request(`http://edge-verify.test${page}`, { headers: { accept: "text/html" } }));
      expect(response.status, page).toBe(200);
      for (const example of examplesIn(page, await response.text())) {
        count++;
        const why = refusal(example);
        if (why) bad.push(`${example.where} ${example.text}: ${why}`);
      }
    }
    expect(count).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it("the checker refuses what it should (it can fail)", () => {
    expect(refusal({ where: "x", text: "+44 7700 900123", testNumber: false })).toBe("not a valid number");
    expect(refusal({ where: "x", text: "+15005550100", testNumber: false })).toMatch(/personal/);
    expect(refusal({ where: "x", text: "+15005550100", testNumber: true })).toBeNull();
    expect(refusal({ where: "x", text: "+14155550123 123456", testNumber: false })).toBeNull();
  });
});
