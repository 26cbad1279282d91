// REST transport for per-number administration: deny and allow lists, carrier lookups and privacy erasure.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { ListEntry } from "../objects/number-lists.ts";
import { parsePhoneNumber } from "../core/phone.ts";
import { listNoteFromJson, lookupRequestFromJson, numberListOf, validateListChange, validateListPage } from "../core/requests.ts";
import { checkBody } from "./validate.ts";
import { readJson } from "./verifications.ts";

function entryJson(entry: ListEntry) {
  return { list: entry.list, phoneNumber: entry.phoneNumber, note: entry.note, createTime: new Date(entry.createdAt).toISOString(), reason: entry.reason ?? "" };
}

export function numberRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/lists/:list", async (c) => {
    const pageSize = c.req.query("pageSize");
    const page = validateListPage({
      list: numberListOf(c.req.param("list")),
      pageSize: pageSize === undefined ? undefined : Number(pageSize),
      pageToken: c.req.query("pageToken"),
    });
    const result = await c.var.verifier.listEntries(page);
    return c.json({ entries: result.entries.map(entryJson), nextPageToken: result.nextPageToken });
  });

  // The number goes in the path URL-encoded (%2B14155552671) or with its "+".
  routes.put("/lists/:list/:phoneNumber", async (c) => {
    const body = await readJson(c);
    const list = numberListOf(c.req.param("list"));
    const change = (b: unknown) => validateListChange({ list, phoneNumber: c.req.param("phoneNumber"), listed: true, note: listNoteFromJson(b) });
    checkBody("ListEntryRequest", body, change);
    const entry = await c.var.verifier.setListed(change(body));
    return c.json(entryJson(entry!));
  });

  routes.delete("/lists/:list/:phoneNumber", async (c) => {
    await c.var.verifier.setListed(validateListChange({ list: numberListOf(c.req.param("list")), phoneNumber: c.req.param("phoneNumber"), listed: false }));
    return c.body(null, 204);
  });

  routes.post("/lookups", async (c) => {
    const body = await readJson(c);
    // The schema's rules in the verifier's words: a JSON object, a phone number, nothing else.
    checkBody("LookupRequest", body, (b) => parsePhoneNumber(lookupRequestFromJson(b).phoneNumber, "phoneNumber"));
    const result = await c.var.verifier.lookup(lookupRequestFromJson(body));
    return c.json({ phoneNumber: result.phoneNumber, lookup: result.lookup, cached: result.cached, fetchTime: new Date(result.fetchedAt).toISOString() });
  });

  routes.delete("/phone-numbers/:phoneNumber", async (c) => {
    return c.json(await c.var.verifier.erase(c.req.param("phoneNumber")));
  });

  return routes;
}
