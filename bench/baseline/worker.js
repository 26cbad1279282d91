// The benchmark's baseline: the least any request in this architecture can do. Parse the JSON body,
// make one Durable Object RPC keyed by the phone number, do one SQLite write there, answer JSON.
// No auth, no validation, no crypto, no provider call: every figure of ours is printed against it.
import { DurableObject } from "cloudflare:workers";

export class BaselineObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (k TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)");
  }

  /** The one SQLite write: an upsert of this key's hit counter. */
  write(key) {
    const row = this.ctx.storage.sql
      .exec("INSERT INTO hits (k, n, at) VALUES (?, 1, ?) ON CONFLICT (k) DO UPDATE SET n = n + 1, at = excluded.at RETURNING n", key, Date.now())
      .one();
    return { key, n: row.n };
  }
}

export default {
  async fetch(request, env) {
    let body;
    try {
      body = await request.json();
    } catch {
      return Response.json({ code: "invalid_argument", message: "body is not JSON" }, { status: 400 });
    }
    const key = typeof body?.to === "string" ? body.to : "";
    if (!key) return Response.json({ code: "invalid_argument", message: "to is required" }, { status: 400 });
    const result = await env.BASELINE.get(env.BASELINE.idFromName(key)).write(key);
    return Response.json(result);
  },
};
