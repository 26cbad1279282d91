// The bench's peer (issue 12): better-auth's phone-number plugin on Node 22 + node:sqlite, served
// by node:http. bench/run.mjs starts it once per round (bench/peer.mjs) for the flow scenario.
// Run by hand: node server.mjs (Node >= 22.5), env:
//   PEER_DB      SQLite file (put it on /dev/shm, like the product's objects)   default /dev/shm/peer.sqlite
//   PEER_PORT    listen port on 127.0.0.1 (0 = any; the chosen port is printed)  default 0
//   TWILIO_API_BASE, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM: the fake provider, same as the product's
// Routes: POST /start {phoneNumber} → sendPhoneNumberOTP (sendOTP posts the same Twilio form as
// src/sms/twilio.ts); POST /check {phoneNumber, code} → the server-only consumePhoneNumberOTP,
// which checks and consumes the code without touching a user or a session
// (node_modules/better-auth/dist/plugins/phone-number/routes.mjs, verifyPhoneNumberOTP).
import { createServer } from "node:http";
import { DatabaseSync } from "node:sqlite";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { phoneNumber } from "better-auth/plugins/phone-number";

const dbPath = process.env.PEER_DB ?? "/dev/shm/peer.sqlite";
const twilioBase = process.env.TWILIO_API_BASE ?? "http://127.0.0.1:0";
const sid = process.env.TWILIO_ACCOUNT_SID ?? "";
const authorization = `Basic ${Buffer.from(`${sid}:${process.env.TWILIO_AUTH_TOKEN ?? ""}`).toString("base64")}`;
const from = process.env.TWILIO_FROM ?? "+15005550006";

const database = new DatabaseSync(dbPath);
// WAL like a server would run it; synchronous=NORMAL is SQLite's usual pairing with WAL.
database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");

const options = {
  // better-auth 1.7.25 takes a node:sqlite DatabaseSync directly (kysely-adapter's NodeSqliteDialect).
  database,
  secret: "bench-peer-secret-bench-peer-secret-0123456789",
  baseURL: "http://127.0.0.1",
  telemetry: { enabled: false },
  // The bench sends thousands of requests from one address; the product's bench raises its caps too.
  rateLimit: { enabled: false },
  plugins: [
    phoneNumber({
      otpLength: 6,
      expiresIn: 600,
      async sendOTP({ phoneNumber: to, code }) {
        const form = new URLSearchParams({ To: to, From: from, Body: `Your verification code is ${code}` });
        const res = await fetch(`${twilioBase}/2010-04-01/Accounts/${sid}/Messages.json`, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
          body: form,
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`provider answered ${res.status}`);
      },
    }),
  ],
};
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (req.method === "POST" && req.url === "/start") {
      await auth.api.sendPhoneNumberOTP({ body: { phoneNumber: body.phoneNumber } });
      return json(res, 200, { status: "pending" });
    }
    if (req.method === "POST" && req.url === "/check") {
      try {
        await auth.api.consumePhoneNumberOTP({ body: { phoneNumber: body.phoneNumber, code: body.code } });
        return json(res, 200, { status: "approved" });
      } catch (error) {
        // A wrong, expired or exhausted code is an APIError (BAD_REQUEST / FORBIDDEN): an answer, not a failure.
        if (error?.statusCode === 400 || error?.statusCode === 403) return json(res, 200, { status: "invalid" });
        throw error;
      }
    }
    return json(res, 404, { error: "not found" });
  } catch (error) {
    return json(res, 500, { error: String(error?.message ?? error) });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PEER_PORT ?? 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
