// REST transport for per-number administration: deny and allow lists, carrier lookups and privacy erasure.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { ListEntry } from "../objects/number-lists.ts";
import { invalidArgument } from "../core/errors.ts";
import { parsePhoneNumber } from "../core/phone.ts";
import { checkBody } from "./validate.ts";
import { readJson } from "./verifications.ts";

function entryJson(entry: ListEntry) {
  return { list: entry.list, phoneNumber: entry.phoneNumber, note: entry.note, createTime: new Date(entry.createdAt).toISOString(), reason: entry.reason ?? "" };
}

export function numberRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/lists/:list", async (c) => {
    const pageSize = c.req.query("pageSize");
    const result = await c.var.verifier.listEntries({
      list: c.req.param("list"),
      pageSize: pageSize === undefined ? undefined : Number(pageSize),
      pageToken: c.req.query("pageToken"),
    });
    return c.json({ entries: result.entries.map(entryJson), nextPageToken: result.nextPageToken });
  });

  // The number goes in the path URL-encoded (%2B14155552671) or with its "+".
  routes.put("/lists/:list/:phoneNumber", async (c) => {
    const body = (await readJson(c)) as { note?: unknown } | null;
    // The schema's one property is `note`: refused in verifier.setListed's words (the test compares them).
    checkBody("ListEntryRequest", body, () => {
      throw invalidArgument("note", "must be a string of at most 200 characters");
    });
    const entry = await c.var.verifier.setListed({
      list: c.req.param("list"),
      phoneNumber: c.req.param("phoneNumber"),
      listed: true,
      note: body && typeof body === "object" ? body.note : undefined,
    });
    return c.json(entryJson(entry!));
  });

  routes.delete("/lists/:list/:phoneNumber", async (c) => {
    await c.var.verifier.setListed({ list: c.req.param("list"), phoneNumber: c.req.param("phoneNumber"), listed: false });
    return c.body(null, 204);
  });

  routes.post("/lookups", async (c) => {
    const body = await readJson(c);
    // The schema's rules in the verifier's words: a JSON object, a phone number, nothing else.
    checkBody("LookupRequest", body, (b) => {
      if (typeof b !== "object" || b === null || Array.isArray(b)) throw invalidArgument("body", "must be a JSON object");
      parsePhoneNumber((b as { phoneNumber?: unknown }).phoneNumber, "phoneNumber");
      const unknown = Object.keys(b).find((k) => k !== "phoneNumber");
      if (unknown) throw invalidArgument(unknown, "is not a field of a lookup request");
    });
    const result = await c.var.verifier.lookup(body);
    return c.json({ phoneNumber: result.phoneNumber, lookup: result.lookup, cached: result.cached, fetchTime: new Date(result.fetchedAt).toISOString() });
  });

  routes.delete("/phone-numbers/:phoneNumber", async (c) => {
    return c.json(await c.var.verifier.erase(c.req.param("phoneNumber")));
  });

  return routes;
}
