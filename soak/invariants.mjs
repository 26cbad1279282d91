// The soak's invariants: pure functions over what the soak recorded (every answer, every message
// the fake provider took, log lines, storage rows). Each returns a list of violations (strings);
// selfCheck() feeds each a known-bad record and fails if it is not caught. Answers come from four
// front doors but are read here only in the model's vocabulary (soak/doors.mjs readAnswer): `ran`,
// `id`, `check`, `reason`, `test`, `replayed`, plus the HTTP `status` and the `body` text.

/** Answers that ran the request (not idempotent replays). */
const originals = (answers) => answers.filter((a) => !a.replayed);
const approvedCheck = (a) => a.kind.startsWith("check") && a.ran && a.check === "approved";

/** A service's limits: the deployment's with the service's own overrides (`limits.services`). */
export function limitsFor(limits, service) {
  return { ...limits, ...(limits.services?.[service] ?? {}) };
}

function group(items, key) {
  const map = new Map();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(item);
  }
  return map;
}

/** Distinct codes a fake took, with the first time each was seen (retries repeat a code). */
function distinctSends(messages) {
  const seen = new Map();
  for (const m of messages) {
    const k = `${m.to}|${m.code}|${m.verificationId}`;
    if (!seen.has(k)) seen.set(k, m);
  }
  return [...seen.values()];
}

export const CHECKERS = {
  /** No verification approved twice. */
  no_double_approval({ answers, webhooks = [] }) {
    const approvals = originals(answers).filter(approvedCheck);
    const out = [...group(approvals, (a) => a.id)].filter(([, list]) => list.length > 1).map(([id, list]) => `${id} approved ${list.length} times`);
    // Webhooks are at least once: retries repeat one webhook-id; two ids are two approvals.
    const events = webhooks.filter((w) => w.type === "verification.approved");
    for (const [id, list] of group(events, (w) => w.verificationId)) {
      const ids = new Set(list.map((w) => w.id));
      if (ids.size > 1) out.push(`${id}: ${ids.size} verification.approved events`);
    }
    return out;
  },

  /** Approvals only with a code that was sent for that verification. */
  approval_with_sent_code({ answers, messages }) {
    const sent = group(messages, (m) => m.verificationId);
    const out = [];
    for (const a of answers.filter(approvedCheck)) {
      const id = a.id;
      if (a.testCode && a.code === a.testCode) continue; // a configured test number's fixed code
      if (!(sent.get(id) ?? []).some((m) => m.code === a.code)) out.push(`${id} approved with a code never sent for it`);
    }
    return out;
  },

  /**
   * Every code the fake took belongs to a start that ran (2xx, or a send that failed for good on a
   * door that answers that with 4xx) or, for a start that never got an answer, at most one per such
   * start; none for refused or replayed requests.
   */
  messages_from_2xx_starts({ answers, messages }) {
    const starts = answers.filter((a) => a.kind.startsWith("start"));
    const idsRan = new Set(starts.filter((a) => a.ran || a.replayed).map((a) => a.id));
    const out = [];
    for (const [to, sends] of group(distinctSends(messages), (m) => m.to)) {
      const mine = originals(starts).filter((a) => a.number === to);
      const ran = mine.filter((a) => a.ran && a.test !== true).length;
      const unanswered = mine.filter((a) => a.status === 0 || (a.status >= 500 && !a.ran)).length;
      const known = sends.filter((m) => idsRan.has(m.verificationId)).length;
      const unknown = sends.length - known;
      // A resend reuses the pending verification's id, so a start that died unanswered may have
      // sent a code for an id another start returned: the total is bounded by both kinds of start.
      if (sends.length > ran + unanswered) out.push(`${to}: ${sends.length} codes sent for ${ran} starts that ran (+${unanswered} unanswered)`);
      if (unknown > unanswered) out.push(`${to}: ${unknown} codes for verifications no start that ran returned (${unanswered} unanswered starts)`);
    }
    return out;
  },

  /** Per-number limits, counted at the fake: codes per 10 minutes (sliding) and per day. */
  per_number_send_limits({ messages, answers, limits: deployment }) {
    const serviceOf = new Map(answers.filter((a) => a.id).map((a) => [a.id, a.service]));
    const out = [];
    for (const [key, sends] of group(distinctSends(messages), (m) => `${serviceOf.get(m.verificationId) ?? "?"}|${m.to}`)) {
      const limits = limitsFor(deployment, key.split("|")[0]);
      const times = sends.map((m) => m.at).sort((x, y) => x - y);
      if (times.length > limits.sendsPerDay) out.push(`${key}: ${times.length} codes > ${limits.sendsPerDay} per day`);
      // The Worker counts at reservation, the fake at arrival: allow the send deadline as skew.
      const window = 600_000 - 2 * limits.sendDeadlineMs;
      for (let i = 0, j = 0; j < times.length; j++) {
        while (times[j] - times[i] >= window) i++;
        if (j - i + 1 > limits.sendsPer10Minutes) {
          out.push(`${key}: ${j - i + 1} codes within 10 minutes > ${limits.sendsPer10Minutes}`);
          break;
        }
      }
    }
    return out;
  },

  /**
   * Client IP, range and country caps (per service, per hour: the whole run) and the daily
   * budgets. An IP's count is its starts that ran and did not fail (a send refused for good gives
   * its unit back), counted by address (an IPv6 /64 may hold several: a count no higher than the
   * Worker's).
   */
  cross_number_caps({ messages, answers, limits }) {
    const serviceOf = new Map(answers.filter((a) => a.id).map((a) => [a.id, a.service]));
    const sends = distinctSends(messages);
    const out = [];
    const ipStarts = originals(answers).filter((a) => a.kind.startsWith("start") && a.clientIp && a.ran && a.state !== "failed");
    for (const [key, list] of group(ipStarts, (a) => `${a.service}|${a.clientIp}`)) {
      const cap = limitsFor(limits, list[0].service).ipStartsPerHour;
      if (list.length > cap) out.push(`client IP ${key}: ${list.length} starts > ${cap} per hour`);
    }
    for (const [key, list] of group(sends, (m) => `${serviceOf.get(m.verificationId) ?? "?"}|${m.to.slice(0, -4)}`)) {
      const cap = limitsFor(limits, key.split("|")[0]).rangeSendsPerHour;
      if (list.length > cap) out.push(`range ${key}: ${list.length} codes > ${cap} per hour`);
    }
    for (const [key, list] of group(sends, (m) => `${serviceOf.get(m.verificationId) ?? "?"}|${limits.countryOf(m.to)}`)) {
      const cap = limitsFor(limits, key.split("|")[0]).countrySendsPerHour;
      if (list.length > cap) out.push(`country ${key}: ${list.length} codes > ${cap} per hour`);
    }
    for (const [day, list] of group(sends, (m) => new Date(m.at).toISOString().slice(0, 10))) {
      if (list.length > limits.smsDailyLimit) out.push(`budget ${day}: ${list.length} codes > ${limits.smsDailyLimit}`);
      for (const [service, own] of Object.entries(limits.serviceDailyLimits)) {
        const n = list.filter((m) => serviceOf.get(m.verificationId) === service).length;
        if (n > own) out.push(`budget of ${service} ${day}: ${n} codes > ${own}`);
      }
    }
    return out;
  },

  /** Wrong codes: per verification at most maxCheckAttempts answered invalid, per number per day the lock-out. */
  attempt_limits({ answers, limits }) {
    const invalid = originals(answers).filter((a) => a.kind.startsWith("check") && a.ran && a.check === "invalid");
    const out = [];
    for (const [id, list] of group(invalid, (a) => a.id)) {
      if (list.length > limits.maxCheckAttempts) out.push(`${id}: ${list.length} wrong codes answered invalid > ${limits.maxCheckAttempts}`);
    }
    for (const [key, list] of group(invalid, (a) => `${a.service}|${a.number}`)) {
      const cap = limitsFor(limits, list[0].service).failedChecksPerDay;
      if (list.length > cap) out.push(`${key}: ${list.length} wrong codes > ${cap} per day`);
    }
    return out;
  },

  /** Every answer 2xx or 4xx; 503 unavailable only while every provider was failing; no silence. */
  statuses({ answers }) {
    const out = [];
    for (const a of answers) {
      if (a.status === 0) out.push(`${a.kind}: no answer (${a.error})`);
      else if (a.status >= 500 && !(a.status === 503 && a.reason === "unavailable" && a.blackout)) out.push(`${a.kind} (${a.door}): ${a.status} ${a.body.slice(0, 120)}`);
      else if (a.status < 200 || (a.status >= 300 && a.status < 400)) out.push(`${a.kind} (${a.door}): ${a.status}`);
    }
    return out;
  },

  /**
   * Idempotent replays: the same status and body as the request that ran, marked as replayed; on
   * MTA's send-code, whose contract answers a repeated X-Request-Id 409, that 409 and nothing run.
   */
  idempotent_replays({ answers }) {
    const out = [];
    const keyed = answers.filter((a) => a.idemKey && (a.ran || a.replayed));
    for (const [key, list] of group(keyed, (a) => `${a.service}|${a.door}|${a.idemKey}|${a.reqBody}`)) {
      const ran = list.filter((a) => !a.replayed);
      if (ran.length > 1) out.push(`${key.split("|")[2]} (${key.split("|")[1]}): ran ${ran.length} times`);
      const first = ran[0] ?? list[0];
      for (const a of list) {
        if (a.door === "mta" && a.replayed) {
          if (a.status !== 409 || a.reason !== "duplicate_request") out.push(`${a.idemKey} (mta): repeat answered ${a.status} ${a.reason}`);
        } else if (a.status !== first.status || a.body !== first.body) out.push(`${a.idemKey} (${a.door}): replay differs from the first answer`);
      }
    }
    return out;
  },

  /** The same key with a different request: 422 idempotency_key_reused, nothing run. */
  idempotency_key_reuse({ answers }) {
    return answers
      .filter((a) => a.kind === "start_key_reused")
      .filter((a) => !(a.status >= 400 && a.status < 500 && a.reason === "idempotency_key_reused" && !a.ran))
      .map((a) => `key reused for another number (${a.door}) answered ${a.status} ${a.body.slice(0, 100)}`);
  },

  /** A forged verification id answers exactly like an unknown one: 404 not_found. */
  forged_ids({ answers }) {
    return answers.filter((a) => a.kind.startsWith("forged_")).filter((a) => !(a.status === 404 && a.reason === "not_found")).map((a) => `${a.kind} (${a.door}): ${a.status} ${a.body.slice(0, 100)}`);
  },

  /** A configured test number is accepted (no number-type rule applies to it) and approves with its code. */
  test_numbers({ answers }) {
    const out = [];
    for (const a of answers.filter((a) => a.kind === "start_test_number" && !a.replayed)) {
      if (a.reason === "rule_refused") out.push(`test number refused (${a.door}): ${a.body.slice(0, 120)}`);
      else if (a.ran && a.test === false) out.push(`test number start not marked test (${a.door})`);
    }
    return out;
  },

  /** Receipts (signed correctly) answer 200, or 404 for a verification we no longer hold. */
  receipts({ receipts }) {
    return receipts.refused.map((r) => `receipt answered ${r.status}: ${r.body}`);
  },

  /** No code the fake took appears in an answer, a log line or storage. */
  no_code_leaks({ messages, texts, codePattern }) {
    const codes = new Set(messages.map((m) => m.code).filter(Boolean));
    const out = [];
    const global = new RegExp(codePattern.source, "g");
    for (const { where, text } of texts) {
      for (const match of text.matchAll(global)) if (codes.has(match[0])) out.push(`a sent code in ${where}: …${text.slice(Math.max(0, match.index - 40), match.index + 50)}…`);
    }
    return out;
  },

  /**
   * What was in storage at a full restart (or a switch of release, --upgrade-from) is still there
   * after it: a code sent before it approves after it; wrong codes counted before it still count
   * (the right code after the rest of the attempts is refused); a number, an IP or a range at its
   * limit before it is still refused after it. Each such answer carries its `expect`.
   */
  carried_over({ answers }) {
    const out = [];
    for (const a of answers.filter((a) => a.expect)) {
      const got = a.ran ? (a.check ?? "ran") : `${a.status} ${a.reason ?? ""}`.trim();
      if (a.expect === "approved" && !(a.ran && a.check === "approved")) out.push(`${a.kind} (${a.door}) ${a.number}: expected approved, got ${got}`);
      if (a.expect === "not_approved" && a.check === "approved") out.push(`${a.kind} (${a.door}) ${a.number}: approved after its attempts were used up before the restart`);
      if (a.expect === "refused" && !(!a.ran && a.status === 429)) out.push(`${a.kind} (${a.door}) ${a.number}: expected refused by a limit kept across the restart, got ${got}`);
    }
    return out;
  },

  /** After the expiry and retention alarms, no rows are left about any number. */
  storage_empty({ storage }) {
    return storage.filter((o) => o.mustEmpty && o.rows > 0).map((o) => `${o.className} ${o.id.slice(0, 12)}…: ${o.rows} rows left (${o.tables.join(", ")})`);
  },
};

export function checkAll(input) {
  return Object.fromEntries(Object.entries(CHECKERS).map(([name, check]) => [name, check(input)]));
}

// ---------------------------------------------------------------------------------------------
const LIMITS = {
  sendsPer10Minutes: 2,
  sendsPerDay: 3,
  ipStartsPerHour: 2,
  sendDeadlineMs: 1000,
  rangeSendsPerHour: 3,
  countrySendsPerHour: 3,
  smsDailyLimit: 3,
  serviceDailyLimits: { b: 1 },
  maxCheckAttempts: 2,
  failedChecksPerDay: 3,
  countryOf: () => "US",
};
const PATTERN = /(?<![0-9A-Za-z])\d{8}(?![0-9A-Za-z])/;
const base = () => ({ answers: [], messages: [], receipts: { refused: [] }, texts: [], storage: [], limits: LIMITS, codePattern: PATTERN });
const ans = (o) => ({ kind: "start", door: "rest", service: "a", number: "+14155550001", status: 201, body: "{}", ran: true, id: null, check: null, reason: null, test: null, replayed: false, ...o });
const refusal = (status, reason, o = {}) => ans({ status, reason, ran: false, ...o });
const msg = (o) => ({ to: "+14155550001", code: "12345678", verificationId: "ve_1", at: 1_000, ...o });
const approved = (id, code, o = {}) => ans({ kind: "check", status: 200, code, id, check: "approved", ...o });
const invalid = (id, o = {}) => ans({ kind: "check", status: 200, code: "00000000", id, check: "invalid", ...o });

/** One known-bad input per checker: each must report at least one violation. */
export const BAD_CASES = {
  no_double_approval: () => ({ ...base(), answers: [approved("ve_1", "1"), approved("ve_1", "1")] }),
  no_double_approval_by_webhook: () => ({ ...base(), webhooks: [{ id: "msg_1", type: "verification.approved", verificationId: "ve_1" }, { id: "msg_2", type: "verification.approved", verificationId: "ve_1" }] }),
  approval_with_sent_code: () => ({ ...base(), messages: [msg()], answers: [approved("ve_1", "87654321")] }),
  messages_from_2xx_starts: () => ({ ...base(), messages: [msg(), msg({ code: "22222222" })], answers: [ans({ id: "ve_1" }), refusal(429, "limit_reached")] }),
  per_number_send_limits: () => ({ ...base(), messages: [msg(), msg({ code: "2", at: 2_000 }), msg({ code: "3", at: 3_000 })], answers: [ans({ id: "ve_1" })] }),
  cross_number_caps_ip: () => ({ ...base(), answers: ["+14155550001", "+14155550002", "+14155550003"].map((number) => ans({ number, clientIp: "203.0.113.7", state: "pending" })) }),
  cross_number_caps: () => ({ ...base(), messages: ["+14155550001", "+14155550002", "+14155550003", "+14155550004"].map((to) => msg({ to, verificationId: to })), answers: [] }),
  attempt_limits: () => ({ ...base(), answers: [invalid("ve_1"), invalid("ve_1"), invalid("ve_1")] }),
  statuses: () => ({ ...base(), answers: [refusal(500, "internal", { body: "internal" })] }),
  idempotent_replays: () => ({ ...base(), answers: [ans({ idemKey: "k", reqBody: "x", body: '{"id":"ve_1"}' }), ans({ idemKey: "k", reqBody: "x", body: '{"id":"ve_2"}', ran: false, replayed: true })] }),
  idempotent_replays_mta: () => ({ ...base(), answers: [ans({ door: "mta", idemKey: "k", reqBody: "x" }), ans({ door: "mta", idemKey: "k", reqBody: "x", status: 200 })] }),
  idempotency_key_reuse: () => ({ ...base(), answers: [ans({ kind: "start_key_reused", status: 201 })] }),
  forged_ids: () => ({ ...base(), answers: [refusal(500, "internal", { kind: "forged_get" })] }),
  test_numbers: () => ({ ...base(), answers: [refusal(403, "rule_refused", { kind: "start_test_number", body: "refused" })] }),
  carried_over: () => ({ ...base(), answers: [ans({ kind: "check_carry_right", check: "invalid", expect: "approved" }), ans({ kind: "start_carry_limited", expect: "refused" })] }),
  receipts: () => ({ ...base(), receipts: { refused: [{ status: 500, body: "internal" }] } }),
  no_code_leaks: () => ({ ...base(), messages: [msg()], texts: [{ where: "a log line", text: '{"message":"code 12345678"}' }] }),
  storage_empty: () => ({ ...base(), storage: [{ className: "PhoneVerification", id: "ab".repeat(32), rows: 1, tables: ["verifications"], mustEmpty: true }] }),
};

/** A known-good input: every checker must report nothing. */
export function goodCase() {
  return {
    ...base(),
    messages: [msg(), msg({ fault: "timeout" })], // a retried send repeats its code: one send
    answers: [
      ans({ idemKey: "k", reqBody: "x", body: '{"id":"ve_1"}', id: "ve_1" }),
      ans({ idemKey: "k", reqBody: "x", body: '{"id":"ve_1"}', id: "ve_1", ran: false, replayed: true }),
      ans({ door: "mta", idemKey: "m", reqBody: "y", number: "+14155550002", ran: false, status: 409, reason: "duplicate_request", replayed: true }),
      invalid("ve_1"),
      approved("ve_1", "12345678", { kind: "check_carry_right", expect: "approved" }),
      refusal(429, "limit_reached", { kind: "start_carry_limited", expect: "refused" }),
      refusal(404, "not_found", { kind: "forged_get" }),
      refusal(422, "idempotency_key_reused", { kind: "start_key_reused" }),
      refusal(409, "idempotency_key_reused", { kind: "start_key_reused", door: "mta" }),
    ],
    webhooks: [{ id: "msg_1", type: "verification.approved", verificationId: "ve_1" }, { id: "msg_1", type: "verification.approved", verificationId: "ve_1" }],
    texts: [{ where: "a response", text: '{"id":"ve_1","createTime":"2026-12-02T12:00:00.000Z","n":1733140000000}' }],
    storage: [{ className: "ServiceRegistry", id: "cd".repeat(32), rows: 4, tables: ["services"], mustEmpty: false }],
  };
}

/** Runs every checker on its bad case and on the good case; returns the failures of the checkers themselves. */
export function selfCheck() {
  const failures = [];
  const good = checkAll(goodCase());
  for (const [name, violations] of Object.entries(good)) if (violations.length) failures.push(`${name} flags a good record: ${violations[0]}`);
  for (const name of Object.keys(CHECKERS)) {
    const make = BAD_CASES[name];
    if (!make) failures.push(`${name} has no known-bad case`);
    else if (CHECKERS[name](make()).length === 0) failures.push(`${name} misses its known-bad case`);
  }
  if (CHECKERS.no_double_approval(BAD_CASES.no_double_approval_by_webhook()).length === 0) failures.push("no_double_approval misses two approved webhooks");
  if (CHECKERS.idempotent_replays(BAD_CASES.idempotent_replays_mta()).length === 0) failures.push("idempotent_replays misses an MTA repeat that ran");
  if (CHECKERS.cross_number_caps(BAD_CASES.cross_number_caps_ip()).length === 0) failures.push("cross_number_caps misses a client IP over its cap");
  return failures;
}
