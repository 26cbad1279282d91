// `npm run soak`: the Worker as deployed (wrangler deploy --dry-run, minified) in workerd through
// Miniflare, against a fault-injecting fake Twilio, under a bounded mixed load over two services,
// with Durable Object restarts at random points and a full restart on the same persisted state;
// then days pass (soak clock) for the expiry and retention alarms, and the invariants are checked
// from outside (answers, messages the fake took, logs) and from storage (the SQLite files).
// `--quick` is the ~60 s run of `npm test`. Exits non-zero on any violation.
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join, basename, dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import v8 from "node:v8";
import { parseArgs } from "node:util";
import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFaultyTwilio, startWebhookReceiver } from "./fakes.mjs";

// The webhook receiver is HTTPS with a soak-only certificate; Miniflare reads NODE_EXTRA_CA_CERTS
// when it loads and gives those certificates to workerd, so set it before importing it.
process.env.NODE_EXTRA_CA_CERTS = join(dirname(new URL(import.meta.url).pathname), "tls", "cert.pem");
const { buildWorker, productObjects, startWorker, storageRoot } = await import("../bench/workers.mjs");
import { checkAll, selfCheck, CHECKERS } from "./invariants.mjs";

const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning") return;
  return emitWarning.call(process, warning, ...rest);
};

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false }, seed: { type: "string" }, "self-check": { type: "boolean", default: false } } });
const QUICK = args.quick;
const here = dirname(new URL(import.meta.url).pathname);

// ---------------------------------------------------------------------------------------------
const failures = selfCheck();
if (failures.length) {
  console.error("soak self-check FAILED: a checker does not catch its known-bad record");
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`self-check: all ${Object.keys(CHECKERS).length} checkers flag their known-bad record and pass the good one`);
if (args["self-check"]) process.exit(0);

// Deterministic choices (which fault, which flow); timing still varies run to run.
let seed = Number(args.seed ?? Date.now() % 1_000_000);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const plan = QUICK
  ? { phaseMs: 16_000, users: 8, ranges: 8, perRange: 8, hot: 3, restartEveryMs: [2_000, 5_000] }
  : { phaseMs: 150_000, users: 12, ranges: 30, perRange: 10, hot: 4, restartEveryMs: [3_000, 9_000] };
const initialSeed = seed;

const API_KEY = "ev_soak_default_0123456789abcdef";
const ADMIN_TOKEN = "ev_soak_admin_token_0123456789abcdef";
const CODE_SECRET = "soak-code-secret-0123456789abcdef-not-for-production";
const PUBLIC_BASE_URL = "https://verify.soak.test";
const TEST_NUMBER = "+15005550100";
const TEST_CODE = "123456";
const CODE_LENGTH = 8; // 8 digits: no timestamp, count or id of ours looks like one (leak scan)
const CODE_PATTERN = new RegExp(`(?<![0-9A-Za-z])\\d{${CODE_LENGTH}}(?![0-9A-Za-z])`);
const SMS_TIMEOUT_MS = 600;
const LIMITS = {
  sendsPer10Minutes: 5,
  sendsPerDay: 10,
  failedChecksPerDay: 20,
  maxCheckAttempts: 5,
  sendDeadlineMs: 2_500,
  rangeSendsPerHour: QUICK ? 10 : 20,
  countrySendsPerHour: QUICK ? 60 : 300,
  smsDailyLimit: QUICK ? 100 : 500,
  serviceDailyLimits: {}, // filled with service B's id
  countryOf: (e164) => parsePhoneNumberWithError(e164).country,
};
const SERVICE_B_DAILY = QUICK ? 40 : 200;
const vars = (twilioUrl) => ({
  ENVIRONMENT: "production",
  // Production refuses webhooks to internal addresses; the soak's receiver is on loopback.
  WEBHOOK_INTERNAL_HOSTS: "127.0.0.1",
  API_KEYS: API_KEY,
  ADMIN_TOKEN,
  CODE_SECRET,
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
  TWILIO_FROM: "+15005550006",
  TWILIO_API_BASE: twilioUrl,
  PUBLIC_BASE_URL,
  TEST_NUMBERS: JSON.stringify({ [TEST_NUMBER]: TEST_CODE }),
  DEFAULT_CODE_LENGTH: String(CODE_LENGTH),
  RETENTION_DAYS: "1",
  RESEND_COOLDOWN_SECONDS: "2,4",
  SENDS_PER_10_MINUTES: String(LIMITS.sendsPer10Minutes),
  SENDS_PER_DAY: String(LIMITS.sendsPerDay),
  FAILED_CHECKS_PER_DAY: String(LIMITS.failedChecksPerDay),
  MAX_CHECK_ATTEMPTS: String(LIMITS.maxCheckAttempts),
  RANGE_SENDS_PER_HOUR: String(LIMITS.rangeSendsPerHour),
  // The soak's clients abandon most codes on purpose (faults, cancels, wrong codes): a conversion
  // guard would rightly block its ranges, and its model of the limits (invariants.mjs) has no guard.
  RULE_CONVERSION_GUARD: "off",
  COUNTRY_SENDS_PER_HOUR: String(LIMITS.countrySendsPerHour),
  SMS_DAILY_LIMIT: String(LIMITS.smsDailyLimit),
  SMS_TIMEOUT_MS: String(SMS_TIMEOUT_MS),
  SMS_RETRY_ATTEMPTS: "3",
  SMS_RETRY_BACKOFF_MS: "50",
  SMS_SEND_DEADLINE_MS: String(LIMITS.sendDeadlineMs),
  // The fake marks 15 % of messages undelivered (error 30003) at random, not per dead number: with
  // busy numbers, deliverability memory would deny-list them for good, which the invariants' model
  // (no deny list; storage empty after retention) does not describe.
  UNDELIVERABLE_AFTER: "1000",
});

/** `ranges` number ranges (the number without its last 4 digits) of `perRange` valid US numbers. */
function numbers() {
  const out = [];
  for (let exchange = 201; out.length < plan.ranges * plan.perRange && exchange < 999; exchange++) {
    const range = [];
    for (let line = 1000; range.length < plan.perRange && line < 9999; line += 37) {
      const e164 = `+1628${exchange}${line}`;
      const parsed = parsePhoneNumberWithError(e164);
      if (parsed.isValid() && parsed.country === "US") range.push(e164);
    }
    if (range.length === plan.perRange) out.push(...range);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
const answers = [];
const logTexts = [];
const counts = { restarts: 0, fullRestarts: 0, blackouts: 0 };
let target = null; // the Worker's URL while it runs
let blackout = false;
const inflight = new Set();

/** One request, recorded with everything the invariants need. */
async function call(kind, { method = "POST", path, body, key, apiKey, service, number, code, testCode }) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const reqBody = body === undefined ? undefined : JSON.stringify(body);
  if (reqBody !== undefined) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  const answer = { kind, service, number, idemKey: key ?? null, reqBody: reqBody ?? "", code, testCode, status: 0, body: "", json: null, replayed: false, blackout, t0: Date.now() };
  const task = (async () => {
    try {
      const response = await fetch(new URL(path, target), { method, headers, body: reqBody, signal: AbortSignal.timeout(60_000) });
      answer.status = response.status;
      answer.body = await response.text();
      answer.replayed = response.headers.get("idempotent-replayed") === "true";
      try {
        answer.json = JSON.parse(answer.body);
      } catch {}
    } catch (error) {
      answer.error = error.cause?.code ?? error.message;
    }
  })();
  inflight.add(task);
  await task;
  inflight.delete(task);
  answer.blackout ||= blackout;
  answer.t1 = Date.now();
  answers.push(answer);
  return answer;
}

function forgedId() {
  const bytes = new Uint8Array(48);
  for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.3 ? 0 : Math.floor(random() * 256);
  return "ve_" + Buffer.from(bytes).toString("base64url");
}

/** The newest code the fake took for a verification, waiting a little for a slow send. */
async function codeFor(fake, id) {
  for (let i = 0; i < 20; i++) {
    const m = fake.messages.findLast((m) => m.verificationId === id);
    if (m) return m.code;
    await sleep(100);
  }
  return null;
}

/** A code never sent for this verification (so a wrong one by construction). */
function wrongCode(fake, id) {
  const sent = new Set(fake.messages.filter((m) => m.verificationId === id).map((m) => m.code));
  for (;;) {
    const code = String(Math.floor(random() * 10 ** CODE_LENGTH)).padStart(CODE_LENGTH, "0");
    if (!sent.has(code)) return code;
  }
}

let keySeq = 0;
const newKey = () => `soak-${initialSeed}-${++keySeq}`;

/** One user's flow on one number: the mix the issue lists. */
async function flow(ctx) {
  const { fake, services, pool, hot } = ctx;
  const service = pick(services);
  const number = random() < 0.25 ? pick(hot) : pick(pool);
  const who = { apiKey: service.apiKey, service: service.id, number };
  const roll = random();
  if (roll < 0.05) {
    // Forged ids: well-formed, never issued here.
    const id = forgedId();
    await call("forged_get", { ...who, method: "GET", path: `/v1/verifications/${id}` });
    await call("forged_check", { ...who, path: "/v1/verifications/check", body: { verificationId: id, code: "12345678" } });
    await call("forged_cancel", { ...who, path: `/v1/verifications/${id}/cancel` });
    return;
  }
  if (roll < 0.08 && service.testNumbers) {
    const start = await call("start_test_number", { ...who, number: TEST_NUMBER, path: "/v1/verifications", body: { to: TEST_NUMBER }, key: newKey() });
    if (start.status === 201) await call("check_test_number", { ...who, number: TEST_NUMBER, path: "/v1/verifications/check", body: { verificationId: start.json.id, code: TEST_CODE }, code: TEST_CODE, testCode: TEST_CODE });
    return;
  }
  const key = newKey();
  const body = { to: number, ...(random() < 0.3 ? { timeoutSeconds: 60 } : {}) };
  const first = call("start", { ...who, path: "/v1/verifications", body, key });
  // Concurrent duplicates: the same key and body while the first is in flight.
  const duplicates = random() < 0.2 ? [1, 2].map(() => call("start_duplicate", { ...who, path: "/v1/verifications", body, key })) : [];
  const start = await first;
  await Promise.all(duplicates);
  if (random() < 0.3) await call("start_retry", { ...who, path: "/v1/verifications", body, key }); // a client retry
  if (random() < 0.08) {
    const other = pick(pool.filter((n) => n !== number));
    await call("start_key_reused", { ...who, number: other, path: "/v1/verifications", body: { ...body, to: other }, key });
  }
  if (start.status !== 201 || !start.json?.id) return;
  const id = start.json.id;
  if (random() < 0.5) await call("get", { ...who, method: "GET", path: `/v1/verifications/${id}` });
  for (let i = Math.floor(random() * 4); i > 0; i--) await call("check_wrong", { ...who, path: "/v1/verifications/check", body: { verificationId: id, code: wrongCode(fake, id) }, code: "wrong" });
  const step = random();
  if (step < 0.2) {
    await sleep(2_000 + random() * 2_500);
    await call("start_resend", { ...who, path: "/v1/verifications", body: { to: number }, key: random() < 0.5 ? newKey() : undefined });
  } else if (step < 0.3) {
    await call("cancel", { ...who, path: `/v1/verifications/${id}/cancel`, key: random() < 0.5 ? newKey() : undefined });
  }
  if (random() < 0.75) {
    const code = await codeFor(fake, id);
    if (code) {
      const checkKey = random() < 0.3 ? newKey() : undefined;
      const checkBody = { verificationId: id, code };
      await call("check_right", { ...who, path: "/v1/verifications/check", body: checkBody, key: checkKey, code });
      if (checkKey && random() < 0.5) await call("check_retry", { ...who, path: "/v1/verifications/check", body: checkBody, key: checkKey, code });
      if (random() < 0.3) await call("check_again", { ...who, path: "/v1/verifications/check", body: checkBody, code });
    }
  }
  if (random() < 0.3) await call("get", { ...who, method: "GET", path: `/v1/verifications/${id}` });
}

/** Load for `ms`, with Durable Object restarts at random points and one all-providers outage. */
async function phase(ctx, ms) {
  const end = Date.now() + ms;
  const users = Array.from({ length: plan.users }, async () => {
    while (Date.now() < end) {
      await flow(ctx);
      await sleep(50 + random() * 250); // think time: a bounded load, not a flood of refusals
    }
  });
  const restarts = (async () => {
    while (Date.now() < end) {
      const [lo, hi] = plan.restartEveryMs;
      await sleep(lo + random() * (hi - lo));
      if (Date.now() >= end) break;
      const r = await fetch(new URL("/__soak/abort", target), { method: "POST" });
      if (r.ok) counts.restarts++;
    }
  })();
  const outage = (async () => {
    await sleep(ms * (0.3 + random() * 0.4));
    blackout = true;
    ctx.fake.setBlackout(true);
    counts.blackouts++;
    await sleep(2_000);
    ctx.fake.setBlackout(false);
    // Answers of requests that were in flight during the outage still count as during it.
    await Promise.race([Promise.all([...inflight]), sleep(5_000)]);
    blackout = false;
  })();
  await Promise.all([...users, restarts, outage]);
}

// ---------------------------------------------------------------------------------------------
function sqliteFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sqliteFiles(path));
    else if (entry.name.endsWith(".sqlite")) out.push(path);
  }
  return out;
}

const CLASS_BINDING = Object.fromEntries(Object.entries(productObjects()).map(([binding, cls]) => [cls, binding]));
// Objects that hold data about numbers or verifications must be empty once retention passed.
const MUST_EMPTY = new Set(["PhoneVerification", "IdempotencyKeys", "ScopeCounter", "TwilioSidIndex", "Insights", "DevOutbox", "NumberLists"]);

function objectsOnDisk(persist) {
  return sqliteFiles(persist).map((path) => {
    const className = Object.keys(CLASS_BINDING).find((c) => basename(dirname(path)).endsWith(c)) ?? basename(dirname(path));
    return { path, className, id: basename(path, ".sqlite") };
  });
}

/**
 * Rows in each object's own tables and in its KV (`ctx.storage.kv` and `storage.put` land in the
 * runtime's `_cf_KV` table: the number's object, the counters, the idempotency keys and the sid
 * index keep everything there), not SQLite's or the runtime's bookkeeping; and all their text for
 * the leak scan (KV values are V8-serialised, read back with node:v8).
 */
function readStorage(persist) {
  return objectsOnDisk(persist).map((o) => {
    const db = new DatabaseSync(o.path, { readOnly: true });
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (name NOT LIKE '\\_cf\\_%' ESCAPE '\\' OR name = '_cf_KV') AND name NOT LIKE '\\_\\_miniflare%' ESCAPE '\\'")
      .all()
      .map((r) => r.name);
    let rows = 0;
    let text = "";
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).all()) {
        rows++;
        const value = table === "_cf_KV" ? { key: row.key, value: kvValue(row.value) } : row;
        text += JSON.stringify(value, (k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v)) + "\n";
      }
    }
    db.close();
    return { ...o, tables, rows, text, mustEmpty: MUST_EMPTY.has(o.className) };
  });
}

function kvValue(bytes) {
  try {
    return v8.deserialize(Buffer.from(bytes));
  } catch {
    return Buffer.from(bytes).toString("latin1");
  }
}

// ---------------------------------------------------------------------------------------------
const started = Date.now();
console.log(`soak ${QUICK ? "--quick" : "(full)"}: seed ${initialSeed}; building the Worker as deployed…`);
const { outdir, bundle } = await buildWorker();
const modules = {
  "entry.js": readFileSync(join(here, "entry.js"), "utf8").replace(
    "/* SOAK_CLASSES */",
    Object.values(productObjects()).map((cls) => `export const ${cls} = withAlarmNow(product.${cls});`).join("\n"),
  ),
  "clock.js": readFileSync(join(here, "clock.js"), "utf8"),
  "index.js": readFileSync(bundle, "utf8"),
};
const persist = await mkdtemp(join(storageRoot(), "edge-verify-soak-"));
const fake = await startFaultyTwilio({ random, faultRate: 0.3, timeoutMs: SMS_TIMEOUT_MS, codePattern: CODE_PATTERN, receiptTarget: () => target, publicBaseUrl: PUBLIC_BASE_URL });
const hooks = await startWebhookReceiver({ random, failRate: 0.2 });
let worker = null;
async function boot() {
  worker = await startWorker({
    name: "edge-verify-soak",
    modules,
    modulesRoot: outdir,
    vars: vars(fake.url),
    objects: productObjects(),
    persist,
    compatibilityFlags: ["unsafe_module"],
    onLog: (entry) => logTexts.push(entry.message),
  });
  target = worker.url.href;
}
async function fullRestart() {
  await Promise.all([...inflight]);
  await fake.drain();
  target = null;
  await worker.dispose();
  await boot();
  counts.fullRestarts++;
}

let exitCode = 1;
try {
  await boot();
  // Two services: the built-in one (API_KEYS, test number) and one made through the admin API.
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  const created = await fetch(new URL("/v1/services", target), { method: "POST", headers: admin, body: JSON.stringify({
      friendlyName: "Soak B",
      codeLength: CODE_LENGTH,
      limits: { smsDailyLimit: SERVICE_B_DAILY },
      webhookUrl: hooks.url,
      webhookEvents: ["verification.started", "verification.approved", "verification.expired", "verification.canceled", "verification.max_attempts_reached", "verification.failed", "delivery.updated"],
    }) });
  const serviceB = await created.json();
  if (created.status !== 201) throw new Error(`creating service B answered ${created.status}: ${JSON.stringify(serviceB)}`);
  const keyAnswer = await fetch(new URL(`/v1/services/${serviceB.id}/keys`, target), { method: "POST", headers: admin, body: JSON.stringify({ name: "soak" }) });
  const { secret } = await keyAnswer.json();
  LIMITS.serviceDailyLimits[serviceB.id] = SERVICE_B_DAILY;
  const services = [
    { id: "default", apiKey: API_KEY, testNumbers: true },
    { id: serviceB.id, apiKey: secret, testNumbers: false },
  ];
  const all = numbers();
  const ctx = { fake, services, hot: all.slice(0, plan.hot), pool: all };
  console.log(`${all.length} numbers in ${plan.ranges} ranges (${plan.hot} hot), 2 services, ${plan.users} users, 2 phases of ${plan.phaseMs / 1000} s`);

  await phase(ctx, plan.phaseMs);
  console.log(`phase 1 done: ${answers.length} answers; full restart on the same storage`);
  await fullRestart();
  await phase(ctx, plan.phaseMs);
  console.log(`phase 2 done: ${answers.length} answers; full restart, then days pass for the alarms`);
  await fullRestart();
  target = null; // no more receipts: the run is over for the vendor too
  await fake.drain();

  // Days pass (soak clock): each object's own alarm runs as it would at its due time. Two days
  // expire what is pending and age what finished; the next rounds pass retention and the 24 h
  // windows of counters and idempotency records; +32 days passes the 30 days a number's object
  // keeps a delivery failure (deliverability memory), and +34 and +36 clean what that round
  // reported. An alarm an object set during the load for a short real time ahead (a 60 s
  // verification's expiry) may also fire by itself during a round and report into Insights on that
  // round's day, which the next round cleans. The rounds after +6 run only while something that
  // must empty still has rows.
  const url = worker.url.href;
  for (const days of [2, 4, 6, 32, 34, 36]) {
    const before = readStorage(persist);
    if (days > 6 && !before.some((o) => o.mustEmpty && o.rows > 0)) break;
    await fetch(new URL(`/__soak/clock?offsetMs=${days * 86_400_000}`, url));
    // Objects with rows left (an emptied object keeps its file, with no tables), 32 at a time.
    const due = before.filter((o) => o.rows > 0 && CLASS_BINDING[o.className] && /^[0-9a-f]{64}$/.test(o.id));
    for (let i = 0; i < due.length; i += 32) {
      await Promise.all(due.slice(i, i + 32).map((o) => fetch(new URL(`/__soak/alarm?binding=${CLASS_BINDING[o.className]}&id=${o.id}`, url)).then((r) => r.text())));
    }
    console.log(`  +${days} days: alarms run on ${due.length} objects with rows`);
    await sleep(QUICK ? 1_500 : 3_000);
  }
  await worker.dispose();

  const storage = readStorage(persist);
  const texts = [
    ...answers.map((a) => ({ where: `a ${a.kind} answer`, text: a.body })),
    ...logTexts.map((text) => ({ where: "a log line", text })),
    ...hooks.deliveries.map((d) => ({ where: `a ${d.type} webhook body`, text: d.body })),
    ...storage.map((o) => ({ where: `storage of ${o.className}`, text: o.text })),
  ];
  const results = checkAll({ answers, webhooks: hooks.deliveries, messages: fake.messages, receipts: fake.receipts, texts, storage, limits: LIMITS, codePattern: CODE_PATTERN });

  // ---- the table
  const kinds = {};
  for (const a of answers) {
    const row = (kinds[a.kind] ??= { n: 0, statuses: {} });
    row.n++;
    const s = a.replayed ? `${a.status}r` : String(a.status);
    row.statuses[s] = (row.statuses[s] ?? 0) + 1;
  }
  const violations = Object.values(results).reduce((n, v) => n + v.length, 0);
  const lines = [];
  lines.push(`| requests by kind | count | answers (r = idempotent replay) |`, `| --- | ---: | --- |`);
  for (const [kind, row] of Object.entries(kinds).sort()) lines.push(`| ${kind} | ${row.n} | ${Object.entries(row.statuses).sort().map(([s, n]) => `${s}×${n}`).join(" ")} |`);
  lines.push(`| **all** | **${answers.length}** | |`, "");
  lines.push(`| faults injected by kind | count |`, `| --- | ---: |`);
  for (const [kind, n] of Object.entries(fake.faults)) lines.push(`| ${kind} | ${n} |`);
  lines.push(`| receipts posted (duplicated / out of order messages) | ${fake.receipts.sent} (${fake.receipts.duplicates} / ${fake.receipts.outOfOrder}) |`);
  lines.push(`| webhook deliveries (answered 500 by the receiver) | ${hooks.deliveries.length} (${hooks.failed()}) |`);
  lines.push(`| receipt answers | ${Object.entries(fake.receipts.answers).map(([s, n]) => `${s}×${n}`).join(" ")} |`, "");
  lines.push(`| restarts | count |`, `| --- | ---: |`, `| Durable Object restarts (abortAllDurableObjects) | ${counts.restarts} |`, `| full restarts on the same storage | ${counts.fullRestarts} |`, `| all-provider outages | ${counts.blackouts} |`, "");
  const sendCount = new Set(fake.messages.map((m) => `${m.to}|${m.code}`)).size;
  lines.push(`| invariant | violations |`, `| --- | ---: |`);
  for (const [name, v] of Object.entries(results)) lines.push(`| ${name} | ${v.length} |`);
  lines.push(`| **violations** | **${violations}** |`, "");
  lines.push(
    `Provider requests ${fake.requests()}, messages taken ${fake.messages.length} (${sendCount} distinct codes), log lines ${logTexts.length}, objects on disk ${storage.length} (${storage.filter((o) => o.rows > 0).map((o) => `${o.className}: ${o.rows} rows`).join(", ") || "all empty"}); ${((Date.now() - started) / 1000).toFixed(0)} s wall.`,
  );
  console.log("\n" + lines.join("\n"));
  for (const [name, v] of Object.entries(results)) {
    if (v.length) {
      console.log(`\n${name}: ${v.length} violation(s), e.g.`);
      for (const line of v.slice(0, 5)) console.log(`  - ${line}`);
    }
  }
  const failedLogs = logTexts.filter((t) => t.includes('"level":"error"') || t.includes("request.failed"));
  if (failedLogs.length) console.log(`\nerror log lines: ${failedLogs.length}, e.g.\n  ${failedLogs.slice(0, 3).join("\n  ")}`);
  exitCode = violations === 0 ? 0 : 1;
  console.log(violations === 0 ? "\nsoak: 0 violations" : `\nsoak: ${violations} violation(s)`);
} finally {
  await worker?.dispose().catch(() => undefined);
  await fake.close();
  await hooks.close();
  rmSync(persist, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
}
process.exit(exitCode);
