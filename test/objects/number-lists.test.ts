// NumberLists: a service's deny and allow lists as an index for listing and auditing (the enforced
// flag lives in each number's own object). Called over RPC as the Worker calls it.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uniqueNumber } from "../helpers.ts";

const listsOf = () => env.NUMBER_LISTS.get(env.NUMBER_LISTS.idFromName(`lists-test:${crypto.randomUUID()}`));

describe("NumberLists", () => {
  it("adds an entry and answers it as stored (no reason: an operator's entry)", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    expect(await lists.add({ list: "deny", phoneNumber, note: "fraud report", createdAt: 1_000 })).toEqual({ list: "deny", phoneNumber, note: "fraud report", createdAt: 1_000, reason: "" });
    expect(await lists.list({ list: "deny", limit: 10, after: "" })).toEqual([{ list: "deny", phoneNumber, note: "fraud report", createdAt: 1_000, reason: "" }]);
  });

  it("adding a listed number again updates its note and reason, and keeps when it was first listed", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    await lists.add({ list: "deny", phoneNumber, note: "first", createdAt: 1_000 });
    expect(await lists.add({ list: "deny", phoneNumber, note: "unsubscribed: 3 delivery failures within 30 days", createdAt: 9_000, reason: "unsubscribed" })).toEqual({
      list: "deny",
      phoneNumber,
      note: "unsubscribed: 3 delivery failures within 30 days",
      createdAt: 1_000,
      reason: "unsubscribed",
    });
    expect(await lists.list({ list: "deny", limit: 10, after: "" })).toHaveLength(1);
  });

  it("keeps the deny and allow lists apart, and removes from one only", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    await lists.add({ list: "deny", phoneNumber, note: "d", createdAt: 1 });
    await lists.add({ list: "allow", phoneNumber, note: "a", createdAt: 2 });
    expect(await lists.remove({ list: "deny", phoneNumber })).toBe(true);
    expect(await lists.remove({ list: "deny", phoneNumber })).toBe(false);
    expect(await lists.list({ list: "deny", limit: 10, after: "" })).toEqual([]);
    expect((await lists.list({ list: "allow", limit: 10, after: "" })).map((e) => e.note)).toEqual(["a"]);
  });

  it("lists in number order, a page at a time after the previous page's last number", async () => {
    const lists = listsOf();
    const numbers = ["+14155550104", "+14155550101", "+14155550103", "+14155550100", "+14155550102"];
    // Times that do not follow the numbers: the order is the numbers', not the times they were added.
    for (const [i, phoneNumber] of numbers.entries()) await lists.add({ list: "deny", phoneNumber, note: "", createdAt: 10 - i });
    await lists.add({ list: "allow", phoneNumber: "+14155550099", note: "", createdAt: 1 });
    const page1 = await lists.list({ list: "deny", limit: 2, after: "" });
    expect(page1.map((e) => e.phoneNumber)).toEqual(["+14155550100", "+14155550101"]);
    const page2 = await lists.list({ list: "deny", limit: 2, after: page1.at(-1)!.phoneNumber });
    expect(page2.map((e) => e.phoneNumber)).toEqual(["+14155550102", "+14155550103"]);
    const page3 = await lists.list({ list: "deny", limit: 2, after: page2.at(-1)!.phoneNumber });
    expect(page3.map((e) => e.phoneNumber)).toEqual(["+14155550104"]);
    expect(await lists.list({ list: "deny", limit: 2, after: "+14155550104" })).toEqual([]);
  });

  it("erase takes the number off every list and says how many entries went", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    const other = uniqueNumber();
    await lists.add({ list: "deny", phoneNumber, note: "", createdAt: 1 });
    await lists.add({ list: "allow", phoneNumber, note: "", createdAt: 1 });
    await lists.add({ list: "deny", phoneNumber: other, note: "", createdAt: 1 });
    expect(await lists.erase(phoneNumber)).toBe(2);
    expect(await lists.erase(phoneNumber)).toBe(0);
    expect((await lists.list({ list: "deny", limit: 10, after: "" })).map((e) => e.phoneNumber)).toEqual([other]);
    expect(await lists.list({ list: "allow", limit: 10, after: "" })).toEqual([]);
  });

  it("keeps its entries across a restart (waking an up-to-date index changes nothing)", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    await lists.add({ list: "deny", phoneNumber, note: "kept", createdAt: 1, reason: "deactivated" });
    await evictDurableObject(lists);
    expect(await lists.list({ list: "deny", limit: 10, after: "" })).toEqual([{ list: "deny", phoneNumber, note: "kept", createdAt: 1, reason: "deactivated" }]);
  });

  it("an index written before deliverability memory (no reason column) gains the column on wake and keeps its entries", async () => {
    const lists = listsOf();
    const phoneNumber = uniqueNumber();
    await runInDurableObject(lists, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE entries");
      sql.exec(`CREATE TABLE entries (list TEXT NOT NULL, phone_number TEXT NOT NULL, note TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (list, phone_number))`);
      sql.exec("INSERT INTO entries (list, phone_number, note, created_at) VALUES ('deny', ?, 'old entry', 5)", phoneNumber);
    });
    await evictDurableObject(lists);
    expect(await lists.list({ list: "deny", limit: 10, after: "" })).toEqual([{ list: "deny", phoneNumber, note: "old entry", createdAt: 5, reason: "" }]);
    expect(await lists.add({ list: "deny", phoneNumber, note: "now undeliverable", createdAt: 6, reason: "undeliverable" })).toMatchObject({ createdAt: 5, reason: "undeliverable" });
  });
});
