// The load generator, forked by bench/run.mjs so its CPU is not the bench process's: bounded
// closed-loop concurrency over keep-alive HTTP/1.1 on loopback, a fixed request count, a time cap.
// Speaks REST, Connect JSON and Connect binary (the generated schemas), the baseline's JSON, and
// the peer's (bench/peer/server.mjs). A flow (op "flow") is start → the code the fake provider
// received → check with it, which must answer approved. The fake runs in the bench process and
// pushes each message's (to, body) here over the fork's IPC channel while a flow pass runs
// (run.mjs); a flow waits for its number's message (it may land just before or after the start's
// answer). IPC costs a JSON line each way, less than an HTTP request to the fake per flow.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Agent, request as httpRequest } from "node:http";
import {
  CheckStatus,
  CheckVerificationRequestSchema,
  CheckVerificationResponseSchema,
  StartVerificationRequestSchema,
  StartVerificationResponseSchema,
} from "../src/gen/verify/v1/verification_pb.ts";

const SERVICE = "/verify.v1.VerificationService";
// A well-formed code that is wrong unless the 1-in-10^6 draw matched (then counted as a lucky hit).
const WRONG_CODE = "000000";

/** Codes pushed by the bench (from the fake provider's messages), by number, not yet taken. */
const codes = new Map();
/** Flows waiting for their number's code. */
const codeWaiters = new Map();
// The code is the message's only run of 4–10 digits (the product's templates and the peer's).
const CODE_PATTERN = /(?<!\d)\d{4,10}(?!\d)/;

function deliverSms(to, body) {
  const code = CODE_PATTERN.exec(body)?.[0] ?? null;
  const waiter = codeWaiters.get(to);
  if (waiter) {
    codeWaiters.delete(to);
    waiter(code);
  } else codes.set(to, code);
}

function waitForCode(to, timeoutMs) {
  if (codes.has(to)) {
    const code = codes.get(to);
    codes.delete(to);
    return Promise.resolve(code);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      codeWaiters.delete(to);
      reject(new Error(`no message for ${to} within ${timeoutMs} ms`));
    }, timeoutMs);
    codeWaiters.set(to, (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Verification ids from start passes, by pool name, for later check passes. */
const pools = new Map();
// Checks approved by a lucky draw, kept across passes: a later pass ("check again") must skip
// them too, or it meets already_approved and counts the bench's own luck as an error.
const approved = new Set();

function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** What to send and how to read the answer, per transport and operation. */
function codec(transport, op, { apiKey, timeoutSeconds }) {
  const auth = { authorization: `Bearer ${apiKey}` };
  const json = (value) => Buffer.from(JSON.stringify(value));
  const parseJson = (body) => JSON.parse(body.toString("utf8"));
  if (transport === "peer") {
    // The peer identifies a verification by its number: start and check both carry it.
    if (op === "start") return { path: "/start", headers: { "content-type": "application/json" }, encode: (to) => json({ phoneNumber: to }), decode: (r) => (r.status === 200 ? { id: parseJson(r.body).status === "pending" ? "pending" : "" } : null) };
    return { path: "/check", headers: { "content-type": "application/json" }, encode: (to, code) => json({ phoneNumber: to, code }), decode: (r) => (r.status === 200 ? { checkStatus: parseJson(r.body).status } : null) };
  }
  if (transport === "baseline") {
    return { path: "/", headers: { "content-type": "application/json" }, encode: (to) => json({ to }), decode: (r) => (r.status === 200 ? { ok: parseJson(r.body).key !== undefined } : null) };
  }
  if (transport === "rest") {
    if (op === "start") {
      return { path: "/v1/verifications", headers: { ...auth, "content-type": "application/json" }, encode: (to) => json({ to, timeoutSeconds }), decode: (r) => (r.status === 201 ? { id: parseJson(r.body).id } : null) };
    }
    return { path: "/v1/verifications/check", headers: { ...auth, "content-type": "application/json" }, encode: (id, code = WRONG_CODE) => json({ verificationId: id, code }), decode: (r) => (r.status === 200 ? { checkStatus: parseJson(r.body).status } : null) };
  }
  const connectHeaders = (type) => ({ ...auth, "content-type": type, "connect-protocol-version": "1" });
  if (transport === "json") {
    if (op === "start") {
      return { path: `${SERVICE}/StartVerification`, headers: connectHeaders("application/json"), encode: (to) => json({ to, timeoutSeconds }), decode: (r) => (r.status === 200 ? { id: parseJson(r.body).verification?.id } : null) };
    }
    const statusName = { CHECK_STATUS_INVALID: "invalid", CHECK_STATUS_APPROVED: "approved" };
    return { path: `${SERVICE}/CheckVerification`, headers: connectHeaders("application/json"), encode: (id, code = WRONG_CODE) => json({ verificationId: id, code }), decode: (r) => (r.status === 200 ? { checkStatus: statusName[parseJson(r.body).status] ?? parseJson(r.body).status } : null) };
  }
  if (transport === "binary") {
    if (op === "start") {
      return {
        path: `${SERVICE}/StartVerification`,
        headers: connectHeaders("application/proto"),
        encode: (to) => Buffer.from(toBinary(StartVerificationRequestSchema, create(StartVerificationRequestSchema, { to, timeoutSeconds }))),
        decode: (r) => (r.status === 200 ? { id: fromBinary(StartVerificationResponseSchema, r.body).verification?.id } : null),
      };
    }
    const statusName = { [CheckStatus.INVALID]: "invalid", [CheckStatus.APPROVED]: "approved" };
    return {
      path: `${SERVICE}/CheckVerification`,
      headers: connectHeaders("application/proto"),
      encode: (id, code = WRONG_CODE) => Buffer.from(toBinary(CheckVerificationRequestSchema, create(CheckVerificationRequestSchema, { verificationId: id, code }))),
      decode: (r) => (r.status === 200 ? { checkStatus: statusName[fromBinary(CheckVerificationResponseSchema, r.body).status] ?? "other" } : null),
    };
  }
  throw new Error(`unknown transport ${transport}`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * One pass. For starts (and the baseline) request i goes to keys[i % keys.length]; for checks it
 * checks pool ids round-robin, `count / ids` times each (the bench keeps that ≤ 4).
 */
async function runPass(spec) {
  const { target, transport, op, concurrency, count, timeLimitMs } = spec;
  const c = codec(transport, op, spec);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(c.path, target);
  const keys = op === "check" && transport !== "baseline" ? pools.get(spec.pool) : spec.keys;
  if (!keys || keys.length === 0) throw new Error(`no keys for ${transport} ${op} (pool ${spec.pool})`);
  const ids = [];
  const latencies = new Float64Array(count);
  const outcome = { ok: 0, refused: 0, errors: 0, lucky: 0, errorSamples: [] };
  const sample = (text) => {
    if (outcome.errorSamples.length < 5) outcome.errorSamples.push(text.slice(0, 300));
  };
  let next = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + timeLimitMs;

  async function loop() {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      let key = keys[i % keys.length];
      for (let hop = 0; approved.has(key) && hop < keys.length; hop++) key = keys[(i + hop + 1) % keys.length];
      const body = c.encode(key);
      const t0 = performance.now();
      try {
        const response = await post(agent, url, c.headers, body);
        latencies[done++] = performance.now() - t0;
        const decoded = c.decode(response);
        if (decoded === null) {
          if (response.status === 429) outcome.refused++; // refused by policy (cooldowns, limits)
          else {
            outcome.errors++;
            sample(`${response.status} ${response.body.toString("utf8")}`);
          }
        } else if (op === "start" && transport !== "baseline") {
          if (typeof decoded.id === "string" && decoded.id) {
            outcome.ok++;
            ids.push(decoded.id);
          } else {
            outcome.errors++;
            sample("start answered without an id");
          }
        } else if (op === "check" && transport !== "baseline") {
          if (decoded.checkStatus === "invalid") outcome.ok++;
          else if (decoded.checkStatus === "approved") {
            outcome.ok++;
            outcome.lucky++;
            approved.add(key);
          } else {
            outcome.errors++;
            sample(`check status ${decoded.checkStatus}`);
          }
        } else if (decoded.ok) outcome.ok++;
        else {
          outcome.errors++;
          sample("baseline answered without a key");
        }
      } catch (error) {
        latencies[done++] = performance.now() - t0;
        outcome.errors++;
        sample(`network: ${error.message}`);
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  if (done < count) {
    // The pass hit its time cap: requests never sent are failures of the run, not of the Worker.
    outcome.errors += count - done;
    sample(`time limit: ${count - done} of ${count} requests not sent within ${timeLimitMs} ms`);
  }
  if (spec.savePool) pools.set(spec.savePool, ids);
  return summary({ transport, op, done, count, elapsedMs, latencies, cpu, outcome });
}

/** A pass's figures: rate, latency percentiles, the load process's own CPU, the outcome counts. */
function summary({ transport, op, done, count, elapsedMs, latencies, cpu, outcome }) {
  const sorted = Array.from(latencies.subarray(0, done)).sort((a, b) => a - b);
  return {
    transport,
    op,
    requests: done,
    planned: count,
    elapsedMs,
    rps: done / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    loadCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, done),
    ...outcome,
  };
}

/**
 * A flow pass: flow i uses keys[i] (a fresh number each), start → wait for its code → check with
 * it. A flow counts as done only when the check answers approved; its latency is start to check
 * answer. A start refused by policy (429) is counted as refused and the flow ends there.
 */
async function runFlowPass(spec) {
  const { target, transport, concurrency, count, timeLimitMs, keys } = spec;
  if (!keys || keys.length < count) throw new Error(`flow pass: ${count} flows need ${count} fresh numbers, got ${keys?.length ?? 0}`);
  const startCodec = codec(transport, "start", spec);
  const checkCodec = codec(transport, "check", spec);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const startUrl = new URL(startCodec.path, target);
  const checkUrl = new URL(checkCodec.path, target);
  const latencies = new Float64Array(count);
  const outcome = { ok: 0, refused: 0, errors: 0, lucky: 0, errorSamples: [] };
  const sample = (text) => {
    if (outcome.errorSamples.length < 5) outcome.errorSamples.push(text.slice(0, 300));
  };
  const codeTimeoutMs = spec.codeTimeoutMs ?? 10_000;
  let next = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + timeLimitMs;

  async function flow(to) {
    const start = await post(agent, startUrl, startCodec.headers, startCodec.encode(to));
    const verification = startCodec.decode(start);
    if (verification === null) {
      if (start.status === 429) return "refused";
      throw new Error(`start ${start.status} ${start.body.toString("utf8")}`);
    }
    if (typeof verification.id !== "string" || !verification.id) throw new Error("start answered without an id");
    const code = await waitForCode(to, codeTimeoutMs);
    if (!code) throw new Error(`the message to ${to} holds no code`);
    // Ours checks by verification id; the peer by number (its codec takes the number).
    const check = await post(agent, checkUrl, checkCodec.headers, checkCodec.encode(transport === "peer" ? to : verification.id, code));
    const checked = checkCodec.decode(check);
    if (checked === null) throw new Error(`check ${check.status} ${check.body.toString("utf8")}`);
    if (checked.checkStatus !== "approved") throw new Error(`check with the right code answered ${checked.checkStatus}`);
    return "ok";
  }

  async function loop() {
    while (next < count && performance.now() < deadline) {
      const to = keys[next++];
      const t0 = performance.now();
      try {
        const result = await flow(to);
        latencies[done++] = performance.now() - t0;
        outcome[result]++;
      } catch (error) {
        latencies[done++] = performance.now() - t0;
        outcome.errors++;
        sample(error.message.startsWith("start") || error.message.startsWith("check") ? error.message : `flow: ${error.message}`);
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  if (done < count) {
    outcome.errors += count - done;
    sample(`time limit: ${count - done} of ${count} flows not run within ${timeLimitMs} ms`);
  }
  // Codes nobody waited for (a flow that failed after its send) must not leak into the next pass.
  codes.clear();
  return summary({ transport, op: "flow", done, count, elapsedMs, latencies, cpu, outcome });
}

process.on("message", async (message) => {
  if (message.cmd === "exit") {
    process.exit(0);
  }
  if (message.cmd === "sms") {
    deliverSms(message.to, message.body);
    return;
  }
  try {
    const result = message.spec.op === "flow" ? await runFlowPass(message.spec) : await runPass(message.spec);
    process.send({ id: message.id, result });
  } catch (error) {
    process.send({ id: message.id, error: error.stack ?? String(error) });
  }
});
process.on("disconnect", () => process.exit(0));
