// Soak-only entry around the deployed bundle (index.js from `wrangler deploy --dry-run`, unchanged):
// adds /__soak/* routes to restart every Durable Object (workerd's own abortAllDurableObjects, the
// mechanism behind cloudflare:test's), to move the clock, and to run an object's alarm now.
import { realNow, setClockOffset, clockOffset } from "./clock.js";
import workerdUnsafe from "workerd:unsafe";
import worker, * as product from "./index.js";

export * from "./index.js";

/** Each class with `soakAlarmNow`: the object's real alarm, scheduled for now (runs at once). */
function withAlarmNow(Base) {
  return class extends Base {
    async soakAlarmNow(offsetMs) {
      setClockOffset(offsetMs); // the object's isolate gets the same clock as the Worker's
      const before = await this.ctx.storage.getAlarm();
      if (typeof this.alarm !== "function") return { scheduled: false, before };
      await this.ctx.storage.setAlarm(realNow());
      return { scheduled: true, before };
    }
  };
}
// Every Durable Object class of wrangler.toml, wrapped (soak/run.mjs fills this line in):
/* SOAK_CLASSES */

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/__soak/")) return worker.fetch(request, env, ctx);
    if (url.pathname === "/__soak/abort") {
      await workerdUnsafe.abortAllDurableObjects();
      return Response.json({ aborted: true });
    }
    if (url.pathname === "/__soak/clock") {
      setClockOffset(Number(url.searchParams.get("offsetMs")));
      return Response.json({ offsetMs: clockOffset() });
    }
    if (url.pathname === "/__soak/alarm") {
      const namespace = env[url.searchParams.get("binding")];
      const stub = namespace.get(namespace.idFromString(url.searchParams.get("id")));
      return Response.json(await stub.soakAlarmNow(clockOffset()));
    }
    return new Response("no such soak route", { status: 404 });
  },
};
