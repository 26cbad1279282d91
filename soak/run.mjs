// `npm run soak`: the Worker as deployed (wrangler deploy --dry-run, minified) in workerd through
// Miniflare, against a fault-injecting fake Twilio, under a bounded mixed load over three services
// and all four front doors (REST, Connect JSON and binary, Twilio Verify v2, MTA), shaped like
// production (most starts are sent; a hot subset meets the limits), with Durable Object restarts at
// random points and full restarts on the same persisted state (with --upgrade-from, the first phase
// runs the bundle of an earlier release); then days pass (soak clock) for the expiry and retention
// alarms, and the invariants are checked from outside (answers, messages the fake took, logs) and
// from storage (the SQLite files). `--quick` is the ~60 s run of `npm test`. Exits non-zero on any
// violation, or when fewer than 70 % of starts were sent.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join, basename, dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import v8 from "node:v8";
import { parseArgs } from "node:util";
import * as protobuf from "@bufbuild/protobuf";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN, startFaultyTwilio, startWebhookReceiver } from "./fakes.mjs";
import { CAN, DOORS, canAddress, createDoors, twilioSidOf } from "./doors.mjs";
import { countryOf, distinctIp, numberPlan } from "./traffic.mjs";

// The webhook receiver is HTTPS with a soak-only certificate; Miniflare reads NODE_EXTRA_CA_CERTS
// when it loads and gives those certificates to workerd, so set it before importing it.
process.env.NODE_EXTRA_CA_CERTS = join(dirname(new URL(import.meta.url).pathname), "tls", "cert.pem");
const { buildWorker, productObjects, startWorker, storageRoot } = await import("../bench/workers.mjs");
const { loadSchemas } = await import("../bench/profile.mjs");
const { buildRelease } = await import("./release.mjs");
import { checkAll, selfCheck, CHECKERS } from "./invariants.mjs";

const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning") return;
  return emitWarning.call(process, warning, ...rest);
};

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    seed: { type: "string" },
    "self-check": { type: "boolean", default: false },
    "upgrade-from": { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const QUICK = args.quick;
const UPGRADE_FROM = args["upgrade-from"] ?? null;
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

// Deterministic choices (which fault, which flow, which door); timing still varies run to run.
let seed = Number(args.seed ?? Date.now() % 1_000_000);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `minStarts`: below that many starts the share of starts sent is reported but not judged.
const plan = QUICK
  ? { phaseMs: 16_000, users: 8, ranges: 80, perRange: 8, hotNumbers: 2, hotRanges: 1, hotIps: 1, pendingCarry: 8, restartEveryMs: [2_000, 5_000], minStarts: 100 }
  : { phaseMs: 150_000, users: 12, ranges: 300, perRange: 10, hotNumbers: 4, hotRanges: 2, hotIps: 2, pendingCarry: 16, restartEveryMs: [3_000, 9_000], minStarts: 100 };
const MIN_SENT_SHARE = 0.7;
const initialSeed = seed;

const API_KEY = "ev_soak_default_0123456789abcdef";
const ADMIN_TOKEN = "ev_soak_admin_token_0123456789abcdef";
const CODE_SECRET = "soak-code-secret-0123456789abcdef-not-for-production";
const ACCOUNT_SID = "AC" + "50a450a450a450a450a450a450a450a4"; // the Twilio-compatible API's Basic username
const DEFAULT_SERVICE_SID = "VA" + "50a4d0000000000000000000000000d1";
const PUBLIC_BASE_URL = "https://verify.soak.test";
const TEST_NUMBER = "+15005550100";
const TEST_CODE = "123456";
const CODE_LENGTH = 8; // 8 digits: no timestamp, count or id of ours looks like one (leak scan)
const CODE_PATTERN = new RegExp(`(?<![0-9A-Za-z])\\d{${CODE_LENGTH}}(?![0-9A-Za-z])`);
const SMS_TIMEOUT_MS = 600;
// Client IPs of the hot subset (documentation ranges): a NAT or a bot sending for many numbers.
const HOT_IPS = ["203.0.113.7", "198.51.100.23"].slice(0, plan.hotIps);
const CARRY_IP = "192.0.2.99"; // the restart probe's IP, used by nobody else

// The limits: small where the hot subset meets them (per number, per IP, per range, the small
// tenant's budget and country cap), out of reach of ordinary traffic everywhere else. The
// deployment's country cap and budget are sharded 16 ways by range (each shard holds its share),
// so they sit well above the demand of any shard.
const LIMITS = {
  sendsPer10Minutes: 5,
  sendsPerDay: 10,
  failedChecksPerDay: 20,
  maxCheckAttempts: 5,
  sendDeadlineMs: 2_500,
  ipStartsPerHour: QUICK ? 4 : 10,
  rangeSendsPerHour: QUICK ? 4 : 12,
  countrySendsPerHour: QUICK ? 2_000 : 5_000,
  smsDailyLimit: QUICK ? 4_000 : 20_000,
  serviceDailyLimits: {}, // filled with services B's and C's ids
  services: {}, // service C's own caps, by id
  countryOf,
};
const SERVICE_B = { smsDailyLimit: QUICK ? 1_000 : 5_000 };
const SERVICE_C = { smsDailyLimit: QUICK ? 5 : 40, countrySendsPerHour: QUICK ? 3 : 20 };
const vars = (twilioUrl) => ({
  ENVIRONMENT: "production",
  // Production refuses webhooks to internal addresses; the soak's receiver is on loopback.
  WEBHOOK_INTERNAL_HOSTS: "127.0.0.1",
  API_KEYS: API_KEY,
  ADMIN_TOKEN,
  CODE_SECRET,
  ACCOUNT_SID,
  DEFAULT_SERVICE_SID,
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
  IP_STARTS_PER_HOUR: String(LIMITS.ipStartsPerHour),
  RANGE_SENDS_PER_HOUR: String(LIMITS.rangeSendsPerHour),
  // The soak's clients abandon many codes on purpose (faults, cancels, wrong codes): a conversion
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

// ---------------------------------------------------------------------------------------------
const answers = [];
const logTexts = [];
const counts = { restarts: 0, fullRestarts: 0, blackouts: 0 };
let target = null; // the Worker's URL while it runs
let release = "current"; // which bundle answers (with --upgrade-from: "previous" in phase 1)
let blackout = false;
const inflight = new Set();
let doors = null; // createDoors(), once the schemas are loaded
let fake = null;

// Twilio's door answers sids; the model wants our ids. A sid is a hash of the id (src/compat/sids.ts),
// so every id the soak sees (answers, and the ids in the fake's status callbacks) is hashed once.
const sidToId = new Map();
const knownIds = new Set();
let scannedMessages = 0;
function learnId(id) {
  if (!id || knownIds.has(id)) return;
  knownIds.add(id);
  sidToId.set(twilioSidOf(id), id);
}
function idOfSid(sid) {
  while (scannedMessages < fake.messages.length) learnId(fake.messages[scannedMessages++].verificationId);
  return sidToId.get(sid) ?? null;
}

/**
 * One request through `door`, recorded with everything the invariants need: the door's answer in
 * the model's vocabulary (soak/doors.mjs readAnswer), plus status, body, timing and `expect` (what
 * a restart probe must see).
 */
async function call(kind, door, op, input, { expect, testCode } = {}) {
  const req = doors.request(door, op, input);
  const answer = {
    kind,
    door,
    op,
    service: input.service.id,
    number: input.to,
    clientIp: op === "start" && CAN[door].clientIp ? (input.clientIp ?? null) : null,
    idemKey: input.key ?? null,
    reqBody: req.reqBody,
    code: input.code,
    testCode,
    expect,
    release,
    status: 0,
    body: "",
    blackout,
    t0: Date.now(),
  };
  let response = { status: 0, headers: new Headers(), bytes: Buffer.alloc(0) };
  const task = (async () => {
    try {
      const r = await fetch(new URL(req.path, target), { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(60_000) });
      response = { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
    } catch (error) {
      answer.error = error.cause?.code ?? error.message;
    }
  })();
  inflight.add(task);
  await task;
  inflight.delete(task);
  const model = doors.readAnswer(door, op, response);
  answer.status = response.status;
  answer.body = model.bodyText;
  delete model.bodyText;
  Object.assign(answer, model);
  if (answer.id) learnId(answer.id);
  else if (answer.sid) answer.id = idOfSid(answer.sid);
  answer.blackout ||= blackout;
  answer.t1 = Date.now();
  answers.push(answer);
  return answer;
}

/** Our id of a verification a start answered (Twilio's sid maps once the fake has its message). */
async function idOf(start) {
  for (let i = 0; !start.id && start.sid && i < 20; i++) {
    start.id = idOfSid(start.sid);
    if (!start.id) await sleep(100);
  }
  return start.id;
}

function forgedId() {
  const bytes = new Uint8Array(48);
  for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.3 ? 0 : Math.floor(random() * 256);
  return "ve_" + Buffer.from(bytes).toString("base64url");
}
const forgedSid = () => "VE" + Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");

/** The newest code the fake took for a verification, waiting a little for a slow send. */
async function codeFor(id) {
  for (let i = 0; i < 20; i++) {
    const m = fake.messages.findLast((m) => m.verificationId === id);
    if (m) return m.code;
    await sleep(100);
  }
  return null;
}

/** A code never sent for this verification (so a wrong one by construction). */
function wrongCode(id) {
  const sent = new Set(fake.messages.filter((m) => m.verificationId === id).map((m) => m.code));
  for (;;) {
    const code = String(Math.floor(random() * 10 ** CODE_LENGTH)).padStart(CODE_LENGTH, "0");
    if (!sent.has(code)) return code;
  }
}

let keySeq = 0;
const newKey = () => `soak-${initialSeed}-${++keySeq}`;
/** A door for `op` on verification `v`, among those that can address it. */
const doorFor = (v, op, filter = () => true) => pick(DOORS.filter((d) => canAddress(d, op, v) && filter(d)));
const keyedFor = (op) => (d) => CAN[d].key.includes(op);

// ---------------------------------------------------------------------------------------------
// The load. A flow picks its shape (who, which number, from which IP), then a front door for each
// operation: the start's door for its duplicates and retries (a client retries with its own
// library), any door that can address the verification for everything after.

/** Forged ids on get, check and cancel, each through a door that has the operation. */
async function forgedFlow(ctx) {
  const service = pick(ctx.services);
  const v = { id: forgedId(), sid: forgedSid() };
  const input = { service, to: null, id: v.id, sid: v.sid };
  await call("forged_get", doorFor(v, "get"), "get", input);
  await call("forged_check", doorFor(v, "check"), "check", { ...input, code: "12345678" });
  await call("forged_cancel", doorFor(v, "cancel"), "cancel", input);
}

/** The configured test number: accepted, marked test (where the door says), approved by its code. */
async function testNumberFlow(ctx) {
  const service = ctx.services[0];
  const door = pick(DOORS);
  const key = CAN[door].key.includes("start") ? newKey() : undefined;
  const start = await call("start_test_number", door, "start", { service, to: TEST_NUMBER, key });
  if (!start.ran) return;
  const v = { id: start.id, sid: start.sid };
  if (!v.id && !v.sid) return;
  await call("check_test_number", doorFor(v, "check"), "check", { service, to: TEST_NUMBER, id: v.id, sid: v.sid, code: TEST_CODE }, { testCode: TEST_CODE });
}

/** Who starts, for which number, from which IP: ordinary traffic, or one of the hot subsets. */
function flowShape(ctx, roll) {
  const [main, serviceB, serviceC] = ctx.services;
  // The hot subsets come through the built-in service: one tenant's abuse, not everyone's.
  if (roll < 0.12) return { tag: "hot_number", service: main, to: pick(ctx.numbers.hot), clientIp: distinctIp(random) };
  if (roll < 0.17) return { tag: "hot_ip", service: main, to: pick(ctx.numbers.pool), clientIp: pick(HOT_IPS), doors: DOORS.filter((d) => CAN[d].clientIp) };
  if (roll < 0.22) return { tag: "hot_range", service: main, to: pick(ctx.numbers.hotRangeNumbers), clientIp: distinctIp(random) };
  const r = random();
  const service = r < 0.46 ? main : r < 0.92 ? serviceB : serviceC; // C: the small tenant at its caps
  return { tag: "ordinary", service, to: pick(ctx.numbers.pool), clientIp: random() < 0.85 ? distinctIp(random) : undefined };
}

/** One user's flow on one number: the mix the issue lists, through the front doors. */
async function flow(ctx) {
  const roll = random();
  if (roll < 0.04) return forgedFlow(ctx);
  if (roll < 0.07) return testNumberFlow(ctx);
  const { service, to, clientIp, doors: allowed = DOORS } = flowShape(ctx, roll);
  const door = pick(allowed);
  const keyed = CAN[door].key.includes("start");
  const key = keyed ? newKey() : undefined;
  const timeoutSeconds = CAN[door].timeout && random() < 0.3 ? 60 : undefined;
  const input = { service, to, clientIp, timeoutSeconds, key };
  const first = call("start", door, "start", input);
  // Concurrent duplicates: the same key and body while the first is in flight.
  const duplicates = keyed && random() < 0.2 ? [1, 2].map(() => call("start_duplicate", door, "start", input)) : [];
  const start = await first;
  await Promise.all(duplicates);
  if (keyed && random() < 0.3) await call("start_retry", door, "start", input); // a client retry
  if (keyed && random() < 0.08) {
    const other = pick(ctx.numbers.pool.filter((n) => n !== to));
    await call("start_key_reused", door, "start", { ...input, to: other });
  }
  if (!start.ran) return;
  const v = { id: await idOf(start), sid: start.sid, to, service };
  if (!v.id) return; // a Twilio start whose send failed for good: no sid to go on with
  const on = (op, extra = {}, filter) => ({ door: doorFor(v, op, filter), input: { service, to, id: v.id, sid: v.sid, ...extra } });
  if (random() < 0.5) {
    const { door: d, input: i } = on("get");
    await call("get", d, "get", i);
  }
  for (let n = Math.floor(random() * 4); n > 0; n--) {
    const { door: d, input: i } = on("check", { code: wrongCode(v.id) });
    await call("check_wrong", d, "check", i);
  }
  const step = random();
  if (step < 0.2) {
    await sleep(2_000 + random() * 2_500);
    const d = pick(allowed);
    const resend = await call("start_resend", d, "start", { service, to, clientIp, key: CAN[d].key.includes("start") && random() < 0.5 ? newKey() : undefined });
    if (resend.ran && d === "twilio" && (await idOf(resend)) === v.id) v.sid = resend.sid; // now addressable on Twilio's door
  } else if (step < 0.3) {
    const keyedCancel = random() < 0.5;
    const { door: d, input: i } = on("cancel", {}, keyedCancel ? keyedFor("cancel") : undefined);
    await call("cancel", d, "cancel", { ...i, key: keyedCancel ? newKey() : undefined });
  }
  if (random() < 0.75) {
    const code = await codeFor(v.id);
    if (code) {
      const keyedCheck = random() < 0.3;
      const { door: d, input: i } = on("check", { code, key: keyedCheck ? newKey() : undefined }, keyedCheck ? keyedFor("check") : undefined);
      await call("check_right", d, "check", i);
      if (keyedCheck && random() < 0.5) await call("check_retry", d, "check", i);
      if (random() < 0.3) {
        const { door: again, input: j } = on("check", { code });
        await call("check_again", again, "check", j);
      }
    }
  }
  if (random() < 0.3) {
    const { door: d, input: i } = on("get");
    await call("get", d, "get", i);
  }
}

/** Load for `ms`, with Durable Object restarts at random points and one all-providers outage. */
async function phase(ctx, ms) {
  const end = Date.now() + ms;
  const users = Array.from({ length: plan.users }, async () => {
    while (Date.now() < end) {
      await flow(ctx);
      await sleep(50 + random() * 250); // think time: a bounded load
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
// Across a full restart (and, with --upgrade-from, across the switch of release): state written
// before it, probed after it. carryBefore() runs in the last 15 s of phase 1, under its faults,
// restarts and outage (its loops go on until the state they want is there); carryAfter() runs
// right after the restart, before phase 2's load, so what it expects is the only thing that moved.

/** Puts state in storage before the restart; returns what to probe after it. */
async function carryBefore(ctx) {
  const [main, serviceB] = ctx.services;
  const carry = [...ctx.numbers.carry];
  const next = () => {
    if (!carry.length) throw new Error("soak: carry numbers used up");
    return carry.shift();
  };
  const out = { pending: [], limited: [] };
  const startOn = (door, service, to, extra = {}) => call("start_carry", door, "start", { service, to, key: CAN[door].key.includes("start") ? newKey() : undefined, ...extra });
  // Twilio's door folds a cooldown and a limit into one code (60203): the probes that must tell
  // them apart start through the doors that say which rule refused.
  const telling = DOORS.filter((d) => d !== "twilio");
  const cooling = (a) => a.reason === "resend_too_soon" || a.rule === "resend_cooldown";
  // The probes run under phase 1's faults, restarts and outage: each tries until its state is
  // there or 45 s passed (a probe that did not get there is left out of the table's count).
  const until = Date.now() + 45_000;
  const inTime = () => Date.now() < until;

  const pending = Array.from({ length: plan.pendingCarry }, async (_, i) => {
    // Pending codes, some with wrong codes counted: after the restart half approve with their
    // code, half use up their attempts and then must refuse the right code.
    const service = i % 2 ? serviceB : main;
    const to = next();
    const start = await startOn(DOORS[i % DOORS.length], service, to);
    if (!start.ran || start.state !== "pending") return; // a send that failed for good is not pending
    const v = { id: await idOf(start), sid: start.sid, to, service };
    const code = v.id ? await codeFor(v.id) : null;
    if (!code) return;
    const wrongs = i % 3;
    for (let k = 0; k < wrongs; k++) await call("check_carry_wrong", doorFor(v, "check"), "check", { service, to, id: v.id, sid: v.sid, code: wrongCode(v.id) });
    out.pending.push({ v, code, wrongs, useUp: Math.floor(i / DOORS.length) % 2 === 1 });
  });

  const numberAtLimit = (async () => {
    // Sends approved one after the other (an approval restarts the cooldown ladder) until the
    // number's 10-minute count refuses.
    const to = next();
    while (inTime()) {
      const start = await startOn(pick(telling), main, to);
      if (!start.ran) {
        if (start.status === 429 && !cooling(start)) return out.limited.push({ what: "number", service: main, to });
        await sleep(1_000);
        continue;
      }
      const v = { id: await idOf(start), sid: start.sid, to, service: main };
      const code = v.id ? await codeFor(v.id) : null;
      if (code) await call("check_carry_right", doorFor(v, "check"), "check", { service: main, to, id: v.id, sid: v.sid, code });
    }
  })();

  const numberLocked = (async () => {
    // Wrong codes until the number's daily count locks it: through the probe service, whose
    // lock-out comes at 5 wrong codes (one verification's attempts), so one send is enough.
    const to = next();
    const service = ctx.probeService;
    while (inTime()) {
      const start = await startOn(pick(telling), service, to);
      if (!start.ran) {
        if (start.status === 429 && (start.reason === "locked" || start.rule === "failed_checks_per_day")) return out.limited.push({ what: "locked number", service, to });
        await sleep(start.status === 429 ? 2_000 : 500); // the cooldown between sends, or a fault
        continue;
      }
      const v = { id: await idOf(start), sid: start.sid, to, service };
      if (!v.id) continue;
      for (let k = 0; k < LIMITS.maxCheckAttempts; k++) {
        const check = await call("check_carry_wrong", doorFor(v, "check"), "check", { service, to, id: v.id, sid: v.sid, code: wrongCode(v.id) });
        if (!check.ran || check.check !== "invalid") break;
      }
    }
  })();

  const ipAtLimit = (async () => {
    // Starts from one IP for other numbers each until the IP's hourly count refuses.
    for (let i = 0; i < LIMITS.ipStartsPerHour + 3 && inTime(); i++) {
      const start = await startOn(pick(telling.filter((d) => CAN[d].clientIp)), main, next(), { clientIp: CARRY_IP });
      if (!start.ran && start.rule === "velocity_ip") return out.limited.push({ what: "ip", service: main, clientIp: CARRY_IP });
    }
  })();

  const rangeAtCap = (async () => {
    // Starts for the numbers of one range until the range's hourly cap refuses; one number is kept.
    const range = [...ctx.numbers.carryRange];
    while (range.length > 1 && inTime()) {
      const start = await startOn(pick(telling), main, range.shift());
      if (!start.ran && start.rule === "velocity_range") return out.limited.push({ what: "range", service: main, to: range.shift() });
    }
  })();

  await Promise.all([...pending, numberAtLimit, numberLocked, ipAtLimit, rangeAtCap]);
  out.freshNumber = next; // for the IP probe after the restart
  return out;
}

/** After the restart: what carryBefore() left must still hold. */
async function carryAfter(carry) {
  const pending = carry.pending.map(async ({ v, code, wrongs, useUp }) => {
    const base = { service: v.service, to: v.to, id: v.id, sid: v.sid };
    if (useUp) {
      for (let k = wrongs; k < LIMITS.maxCheckAttempts; k++) await call("check_carry_wrong", doorFor(v, "check"), "check", { ...base, code: wrongCode(v.id) });
      await call("check_carry_right", doorFor(v, "check"), "check", { ...base, code }, { expect: "not_approved" });
    } else {
      await call("check_carry_right", doorFor(v, "check"), "check", { ...base, code }, { expect: "approved" });
    }
  });
  const limited = carry.limited.map(async (l) => {
    const door = pick(DOORS.filter((d) => (l.clientIp ? CAN[d].clientIp : true)));
    const to = l.to ?? carry.freshNumber();
    await call("start_carry_limited", door, "start", { service: l.service, to, clientIp: l.clientIp }, { expect: "refused" });
  });
  await Promise.all([...pending, ...limited]);
  return { pending: carry.pending.length, limited: carry.limited.map((l) => l.what) };
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
/** The share of starts sent: flow starts (first tries and resends, not replays, duplicates or probes). */
function startShare(list) {
  const starts = list.filter((a) => (a.kind === "start" || a.kind === "start_resend") && !a.replayed);
  const sent = starts.filter((a) => a.ran);
  const refusedBy = {};
  for (const a of starts.filter((a) => !a.ran)) {
    // Twilio's door folds a cooldown and the limits into one code: its refusals name no rule.
    const why = a.rule ?? (a.reason ? `${a.reason}${a.door === "twilio" ? " (Twilio's door: rule not told)" : ""}` : `status ${a.status}`);
    refusedBy[why] = (refusedBy[why] ?? 0) + 1;
  }
  return { starts: starts.length, sent: sent.length, share: starts.length ? sent.length / starts.length : 0, refusedBy };
}

/** Twilio answers whose id was not known yet, and starts whose send failed for good over Twilio. */
function resolveTwilioIds() {
  idOfSid("");
  for (const a of answers) if (!a.id && a.sid) a.id = sidToId.get(a.sid) ?? null;
  // Twilio's door answers a send that failed for good with an error and no sid: its verification
  // is the one the fake got a message for, for that number, while the start was in flight.
  const claimed = new Set(answers.map((a) => a.id).filter(Boolean));
  for (const a of answers.filter((a) => a.door === "twilio" && a.op === "start" && a.ran && !a.id)) {
    const m = fake.messages.find((m) => m.to === a.number && m.at >= a.t0 && m.at <= a.t1 && !claimed.has(m.verificationId));
    if (m) {
      a.id = m.verificationId;
      claimed.add(m.verificationId);
    }
  }
}

const started = Date.now();
console.log(`soak ${QUICK ? "--quick" : "(full)"}: seed ${initialSeed}; building the Worker as deployed…`);
const schemas = await loadSchemas();
doors = createDoors({ pb: schemas, protobuf, accountSid: ACCOUNT_SID, codeLength: CODE_LENGTH });

/** The soak's modules around a bundle: entry.js wraps every Durable Object class of its wrangler.toml. */
function modulesFor(bundle, objects) {
  return {
    "entry.js": readFileSync(join(here, "entry.js"), "utf8").replace(
      "/* SOAK_CLASSES */",
      [...new Set(Object.values(objects))].map((cls) => `export const ${cls} = withAlarmNow(product.${cls});`).join("\n"),
    ),
    "clock.js": readFileSync(join(here, "clock.js"), "utf8"),
    "index.js": readFileSync(bundle, "utf8"),
  };
}
const current = await buildWorker();
const releases = { current: { name: "current", outdir: current.outdir, objects: productObjects(), modules: modulesFor(current.bundle, productObjects()) } };
let previous = null;
if (UPGRADE_FROM) {
  console.log(`--upgrade-from ${UPGRADE_FROM}: building that release…`);
  previous = await buildRelease(UPGRADE_FROM);
  for (const note of previous.notes) console.log(`  note: ${note}`);
  releases.previous = { name: `previous (${UPGRADE_FROM} = ${previous.sha.slice(0, 10)})`, outdir: previous.outdir, objects: previous.objects, modules: modulesFor(previous.bundle, previous.objects) };
}

const persist = await mkdtemp(join(storageRoot(), "edge-verify-soak-"));
fake = await startFaultyTwilio({ random, faultRate: 0.3, timeoutMs: SMS_TIMEOUT_MS, codePattern: CODE_PATTERN, receiptTarget: () => target, publicBaseUrl: PUBLIC_BASE_URL });
const hooks = await startWebhookReceiver({ random, failRate: 0.2 });
let worker = null;
async function boot(which) {
  const r = releases[which];
  release = which;
  worker = await startWorker({
    name: "edge-verify-soak", // the same name for every release: the same objects' storage
    modules: r.modules,
    modulesRoot: r.outdir,
    vars: vars(fake.url),
    objects: r.objects,
    persist,
    compatibilityFlags: ["unsafe_module"],
    onLog: (entry) => logTexts.push(entry.message),
  });
  target = worker.url.href;
}
async function fullRestart(which) {
  await Promise.all([...inflight]);
  await fake.drain();
  target = null;
  await worker.dispose();
  await boot(which);
  counts.fullRestarts++;
}

/** A service made through the admin API, with one API key. */
async function createService(body) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  const created = await fetch(new URL("/v1/services", target), { method: "POST", headers: admin, body: JSON.stringify(body) });
  const service = await created.json();
  if (created.status !== 201) throw new Error(`creating ${body.friendlyName} answered ${created.status}: ${JSON.stringify(service)}`);
  const keyAnswer = await fetch(new URL(`/v1/services/${service.id}/keys`, target), { method: "POST", headers: admin, body: JSON.stringify({ name: "soak" }) });
  const { secret } = await keyAnswer.json();
  return { id: service.id, sid: service.id, apiKey: secret };
}

let exitCode = 1;
let carried = null;
try {
  await boot(previous ? "previous" : "current");
  // Three services: the built-in one (API_KEYS, the test number, the hot subsets), B (own budget
  // and a webhook) and C, a small tenant whose own budget and country cap its traffic meets.
  const serviceB = await createService({
    friendlyName: "Soak B",
    codeLength: CODE_LENGTH,
    limits: { smsDailyLimit: SERVICE_B.smsDailyLimit },
    webhookUrl: hooks.url,
    webhookEvents: ["verification.started", "verification.approved", "verification.expired", "verification.canceled", "verification.max_attempts_reached", "verification.failed", "delivery.updated"],
  });
  const serviceC = await createService({ friendlyName: "Soak C", codeLength: CODE_LENGTH, limits: SERVICE_C });
  // The restart probe's lock-out: a number locks at its 5th wrong code (the default 20 needs four
  // sends with cooldowns between them, which faults and restarts can leave unfinished).
  const probeService = await createService({ friendlyName: "Soak probes", codeLength: CODE_LENGTH, limits: { failedChecksPerDay: LIMITS.maxCheckAttempts } });
  LIMITS.services[probeService.id] = { failedChecksPerDay: LIMITS.maxCheckAttempts };
  LIMITS.serviceDailyLimits[serviceB.id] = SERVICE_B.smsDailyLimit;
  LIMITS.serviceDailyLimits[serviceC.id] = SERVICE_C.smsDailyLimit;
  LIMITS.services[serviceC.id] = { countrySendsPerHour: SERVICE_C.countrySendsPerHour };
  const services = [{ id: "default", sid: DEFAULT_SERVICE_SID, apiKey: API_KEY }, serviceB, serviceC];
  const numbers = numberPlan({ ranges: plan.ranges, perRange: plan.perRange, hotNumbers: plan.hotNumbers, hotRanges: plan.hotRanges, carryNumbers: plan.pendingCarry + LIMITS.ipStartsPerHour + 12, carryRangeSize: LIMITS.rangeSendsPerHour + 4 });
  const ctx = { fake, services, numbers, probeService };
  console.log(
    `${numbers.pool.length} numbers in ${numbers.rangeCount} ranges over ${Object.keys(numbers.countries).length} countries (${Object.entries(numbers.countries).map(([c, n]) => `${c} ${n}`).join(", ")}); ` +
      `hot: ${numbers.hot.length} numbers, ${HOT_IPS.length} IPs, ${plan.hotRanges} ranges (${numbers.hotRangeNumbers.length} numbers); 3 services, ${plan.users} users, 2 phases of ${plan.phaseMs / 1000} s; doors ${DOORS.join(", ")}`,
  );
  if (previous) console.log(`phase 1 on the ${releases.previous.name}, phase 2 on this checkout's bundle, on the same storage`);

  const [, carry] = await Promise.all([phase(ctx, plan.phaseMs), sleep(Math.max(0, plan.phaseMs - 15_000)).then(() => carryBefore(ctx))]);
  console.log(`phase 1 done: ${answers.length} answers; ${carry.pending.length} pending codes and limits (${carry.limited.map((l) => l.what).join(", ")}) left in storage; full restart${previous ? " with this checkout's bundle" : ""} on the same storage`);
  await fullRestart("current");
  carried = await carryAfter(carry);
  await phase(ctx, plan.phaseMs);
  console.log(`phase 2 done: ${answers.length} answers; full restart, then days pass for the alarms`);
  await fullRestart("current");
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

  resolveTwilioIds();
  const storage = readStorage(persist);
  const texts = [
    ...answers.map((a) => ({ where: `a ${a.kind} answer (${a.door})`, text: a.body })),
    ...logTexts.map((text) => ({ where: "a log line", text })),
    ...hooks.deliveries.map((d) => ({ where: `a ${d.type} webhook body`, text: d.body })),
    ...storage.map((o) => ({ where: `storage of ${o.className}`, text: o.text })),
  ];
  const results = checkAll({ answers, webhooks: hooks.deliveries, messages: fake.messages, receipts: fake.receipts, texts, storage, limits: LIMITS, codePattern: CODE_PATTERN });

  // ---- the tables
  const kinds = {};
  for (const a of answers) {
    const row = (kinds[a.kind] ??= { n: 0, statuses: {} });
    row.n++;
    const s = a.replayed ? `${a.status}r` : String(a.status);
    row.statuses[s] = (row.statuses[s] ?? 0) + 1;
  }
  const violations = Object.values(results).reduce((n, v) => n + v.length, 0);
  const lines = [];
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  const share = startShare(answers);
  const sentIds = new Set(answers.filter((a) => (a.kind === "start" || a.kind === "start_resend") && a.ran && a.id).map((a) => a.id));
  const approvedIds = new Set(answers.filter((a) => a.kind.startsWith("check") && a.ran && a.check === "approved" && sentIds.has(a.id)).map((a) => a.id));
  const checkedIds = new Set(answers.filter((a) => a.kind.startsWith("check") && a.ran && sentIds.has(a.id)).map((a) => a.id));
  lines.push(`| starts sent | count |`, `| --- | ---: |`);
  lines.push(`| starts (first tries and resends; no replays, duplicates, test numbers or probes) | ${share.starts} |`);
  lines.push(`| sent (accepted and handed to the provider) | ${share.sent} (**${pct(share.share)}**) |`);
  for (const [why, n] of Object.entries(share.refusedBy).sort((a, b) => b[1] - a[1])) lines.push(`| refused: ${why} | ${n} |`);
  lines.push(`| sent verifications checked / approved | ${checkedIds.size} / ${approvedIds.size} of ${sentIds.size} |`);
  if (previous) {
    for (const r of ["previous", "current"]) {
      const s = startShare(answers.filter((a) => a.release === r));
      lines.push(`| sent on the ${r === "previous" ? releases.previous.name : "current bundle"} | ${s.sent} of ${s.starts} (${pct(s.share)}) |`);
    }
  }
  lines.push("");
  lines.push(`| front door | requests | starts sent / starts | checks approved / invalid / other | gets | cancels | forged (404) |`, `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const door of DOORS) {
    const mine = answers.filter((a) => a.door === door);
    const s = startShare(mine);
    const checks = mine.filter((a) => a.kind.startsWith("check") && a.ran);
    const approved = checks.filter((a) => a.check === "approved").length;
    const invalid = checks.filter((a) => a.check === "invalid").length;
    const forged = mine.filter((a) => a.kind.startsWith("forged_"));
    lines.push(
      `| ${door} | ${mine.length} | ${s.sent} / ${s.starts} | ${approved} / ${invalid} / ${checks.length - approved - invalid} | ${mine.filter((a) => a.op === "get" && !a.kind.startsWith("forged")).length} | ${mine.filter((a) => a.op === "cancel" && !a.kind.startsWith("forged")).length} | ${forged.filter((a) => a.status === 404).length} / ${forged.length} |`,
    );
  }
  lines.push("");
  lines.push(`| requests by kind | count | answers (r = idempotent replay; MTA's repeat is 409r) |`, `| --- | ---: | --- |`);
  for (const [kind, row] of Object.entries(kinds).sort()) lines.push(`| ${kind} | ${row.n} | ${Object.entries(row.statuses).sort().map(([s, n]) => `${s}×${n}`).join(" ")} |`);
  lines.push(`| **all** | **${answers.length}** | |`, "");
  lines.push(`| faults injected by kind | count |`, `| --- | ---: |`);
  for (const [kind, n] of Object.entries(fake.faults)) lines.push(`| ${kind} | ${n} |`);
  lines.push(`| receipts posted (duplicated / out of order messages) | ${fake.receipts.sent} (${fake.receipts.duplicates} / ${fake.receipts.outOfOrder}) |`);
  lines.push(`| webhook deliveries (answered 500 by the receiver) | ${hooks.deliveries.length} (${hooks.failed()}) |`);
  lines.push(`| receipt answers | ${Object.entries(fake.receipts.answers).map(([s, n]) => `${s}×${n}`).join(" ")} |`, "");
  lines.push(`| restarts | count |`, `| --- | ---: |`, `| Durable Object restarts (abortAllDurableObjects) | ${counts.restarts} |`, `| full restarts on the same storage${previous ? " (the first one switches release)" : ""} | ${counts.fullRestarts} |`, `| all-provider outages | ${counts.blackouts} |`);
  lines.push(`| across the first restart: pending codes / limits probed | ${carried.pending} / ${carried.limited.length} (${carried.limited.join(", ")}) |`, "");
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

  // The shape gate: a soak whose starts are mostly refused proves little about the send and check
  // paths. Judged on any run with enough starts (a quick run has a few hundred).
  const judged = share.starts >= plan.minStarts;
  const shapeOk = !judged || share.share >= MIN_SENT_SHARE;
  const shapeLine = judged
    ? `starts sent: ${pct(share.share)} of ${share.starts} (at least ${pct(MIN_SENT_SHARE)} required)`
    : `starts sent: ${pct(share.share)} of ${share.starts} (fewer than ${plan.minStarts} starts: not judged)`;
  exitCode = violations === 0 && shapeOk ? 0 : 1;
  console.log(`\n${shapeLine}`);
  console.log(violations === 0 ? (shapeOk ? "soak: 0 violations" : "soak: 0 violations, but too few starts were sent: FAILED") : `soak: ${violations} violation(s)`);
} finally {
  await worker?.dispose().catch(() => undefined);
  await fake.close();
  await hooks.close();
  if (args.keep) {
    // --keep: the objects' SQLite files and every recorded answer stay, for a look at a violation.
    writeFileSync(join(persist, "answers.json"), JSON.stringify({ answers, messages: fake.messages, logs: logTexts }, null, 1));
    console.log(`--keep: storage and answers.json in ${persist}`);
  } else rmSync(persist, { recursive: true, force: true });
  rmSync(current.outdir, { recursive: true, force: true });
  previous?.close();
}
process.exit(exitCode);
