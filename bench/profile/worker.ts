// Bench-only Worker: runs one piece of the product `n` times inside a single request so the bench
// can read its cost from workerd's CPU time (workerd freezes clocks while JavaScript runs, so
// in-Worker timers cannot measure it). The `app-*` operations run the real Hono app, auth and
// transports included, against an in-memory Durable Object namespace that answers at once: the
// Worker-side cost of a request, without the object, the network or the provider. The `number-*`,
// `scope-*` and `rpc-*` operations call the product's own Durable Objects (every class of
// src/index.ts, bound as in wrangler.toml) through their public RPC methods, one RPC from this
// Worker per iteration; the `do-*` operations run storage primitives inside one object; the wake
// operations time an object's first call after Miniflare evicted it.
//
// Nothing here reads the number object's private fields. Its inputs are built by the product's own
// verifier (src/verifier.ts) against a stub that records them, and the only storage it touches
// directly is what storage.ts documents: a verification record under `v:<id>`.
import { DurableObject } from "cloudflare:workers";
import { create, toBinary } from "@bufbuild/protobuf";
import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { createApp } from "../../src/app.ts";
import { authenticate } from "../../src/auth.ts";
import { loadConfig, parseConfig } from "../../src/config.ts";
import { cryptoRandom, generateCode, hashCode, importCodeKey } from "../../src/core/codes.ts";
import { newVerificationId } from "../../src/core/ids.ts";
import { maskPhoneNumber, parsePhoneNumber } from "../../src/core/phone.ts";
import { validateCheckRequest, validateStartRequest, validateVerificationId } from "../../src/core/requests.ts";
import type { VerificationRecord } from "../../src/core/verification.ts";
import type { CounterTake } from "../../src/objects/scope-counter.ts";
import { log } from "../../src/log.ts";
import {
  PhoneVerification,
  type DoCheckInput,
  type DoLookupInput,
  type DoResult,
  type DoStartInput,
} from "../../src/objects/phone-verification/phone-verification.ts";
import { CheckVerificationRequestSchema, StartVerificationRequestSchema, StartVerificationResponseSchema } from "../../src/gen/verify/v1/verification_pb.ts";
import { kVerifier, verificationMessage, verificationServiceRoutes } from "../../src/rpc/verification-service.ts";
import { createVerifier, type VerificationView } from "../../src/verifier.ts";

// Every Durable Object class the product deploys, hosted here as the deployed Worker hosts them
// (bench/profile.mjs binds them from wrangler.toml): the number's object calls ScopeCounter and
// Insights, and the verifier that builds the inputs authenticates through ServiceRegistry.
export * from "../../src/index.ts";

const API_KEY = "ev_bench_0123456789abcdef";
const vars = {
  ENVIRONMENT: "production",
  API_KEYS: API_KEY,
  CODE_SECRET: "bench-code-secret-0123456789abcdef-not-for-production",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
  TWILIO_AUTH_TOKEN: "fake-twilio-auth-token",
  TWILIO_FROM: "+15005550006",
};
const config = parseConfig(vars);
// A fixed random tail: random values are not allowed in global scope.
const verificationId = newVerificationId("a".repeat(64), (bytes) => bytes.fill(7));
const now = Date.now();
const view = {
  id: verificationId,
  service: "default",
  to: "+14155552671",
  channel: "sms",
  status: "pending",
  codeLength: 6,
  createdAt: now,
  updatedAt: now,
  expiresAt: now + 600_000,
  sendAttempts: 1,
  checkAttempts: 1,
  messageId: "SM" + "0".repeat(32),
  provider: "twilio",
  failureReason: "",
  countryCode: "US",
  lineType: "fixed_line_or_mobile",
  externalId: "",
  tags: {},
  locale: "en",
  risks: [],
  delivery: null,
  messageEncoding: "GSM-7",
  messageSegments: 1,
  serviceName: "edge-verify",
  channels: ["sms"],
  fallbackAfterSeconds: 0,
  nextChannelAt: 0,
  test: false,
} satisfies VerificationView;
const stub = {
  start: async () => ({ ok: true, value: view }),
  check: async () => ({ ok: true, value: { status: "invalid", verification: view } }),
};
// The registry answers the built-in service at once (the product caches it per isolate anyway).
const registry = {
  ensureService: async (input: { id: string; settings: unknown }) => ({ ...input, webhookSecret: "whsec_bench", webhookPublicKey: "whpk_bench", webhookSealedKey: "", webhookReplacedKeys: [], createdAt: 0, updatedAt: 0 }),
};
const env = {
  ...vars,
  PHONE_VERIFICATION: { idFromName: () => ({}), idFromString: () => ({}), get: () => stub },
  SERVICE_REGISTRY: { idFromName: () => ({}), get: () => registry },
} as unknown as Env;
const app = createApp();

// An experiment, not the product: the same Connect router and routes, but the unary request body
// read with arrayBuffer() and the response body collected into one Response, with no stream
// adapters in between. Compared with app-*-check it prices the fetch ⇄ universal stream plumbing.
const router = createConnectRouter({ connect: true, grpcWeb: true, grpc: false, readMaxBytes: 64 * 1024 });
verificationServiceRoutes(router);
const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
async function bufferedConnect(request: Request): Promise<Response> {
  const config = loadConfig(env);
  const principal = await authenticate(request.headers.get("authorization"), env, config);
  const verifier = principal ? createVerifier({ env, config, principal }) : null;
  const handler = handlers.get(new URL(request.url).pathname)!;
  const bytes = new Uint8Array(await request.arrayBuffer());
  const response = await handler({
    httpVersion: "",
    method: request.method,
    url: request.url,
    header: request.headers,
    signal: request.signal,
    body: (async function* () {
      yield bytes;
    })(),
    contextValues: createContextValues().set(kVerifier, verifier),
  });
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of response.body) chunks.push(chunk);
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return new Response(body, { status: response.status, headers: response.header });
}

const auth = { authorization: `Bearer ${API_KEY}` };
const connect = (type: string) => ({ ...auth, "content-type": type, "connect-protocol-version": "1" });
function appRequest(op: string, to: string): Request {
  const base = "http://bench.local";
  switch (op) {
    case "app-rest-start":
      return new Request(`${base}/v1/verifications`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ to, timeoutSeconds: 3600 }) });
    case "app-rest-check":
      return new Request(`${base}/v1/verifications/check`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ verificationId, code: "000000" }) });
    case "app-json-start":
      return new Request(`${base}/verify.v1.VerificationService/StartVerification`, { method: "POST", headers: connect("application/json"), body: JSON.stringify({ to, timeoutSeconds: 3600 }) });
    case "app-json-check":
      return new Request(`${base}/verify.v1.VerificationService/CheckVerification`, { method: "POST", headers: connect("application/json"), body: JSON.stringify({ verificationId, code: "000000" }) });
    case "app-binary-start":
      return new Request(`${base}/verify.v1.VerificationService/StartVerification`, { method: "POST", headers: connect("application/proto"), body: toBinary(StartVerificationRequestSchema, create(StartVerificationRequestSchema, { to, timeoutSeconds: 3600 })) });
    case "app-binary-check":
      return new Request(`${base}/verify.v1.VerificationService/CheckVerification`, { method: "POST", headers: connect("application/proto"), body: toBinary(CheckVerificationRequestSchema, create(CheckVerificationRequestSchema, { verificationId, code: "000000" })) });
  }
  throw new Error(`unknown op ${op}`);
}

async function runOnce(op: string, i: number, numbers: string[]): Promise<void> {
  const to = numbers[i % numbers.length]!;
  switch (op) {
    case "noop":
      return;
    case "request-only": {
      // Building the app's Request objects alone, to subtract from the app-* figures.
      const request = appRequest(i % 2 ? "app-rest-check" : "app-binary-check", to);
      await request.arrayBuffer();
      return;
    }
    case "phone-parse":
      parsePhoneNumber(to);
      return;
    case "log-line":
      // What the object writes per check; workerd formats it and Miniflare reads it off a pipe.
      log("info", "verification.checked", { to: maskPhoneNumber(to), status: "invalid" });
      return;
    case "code-generate":
      generateCode(6, cryptoRandom);
      return;
    case "code-hmac":
      await hashCode(await importCodeKey(config.codeSecret), verificationId, "000000");
      return;
    case "auth-api-key":
      await authenticate(`Bearer ${API_KEY}`, env, config);
      return;
    case "proto-encode-response":
      toBinary(StartVerificationResponseSchema, create(StartVerificationResponseSchema, { verification: verificationMessage(view) }));
      return;
    case "buffered-connect-binary-check":
    case "buffered-connect-json-check": {
      const response = await bufferedConnect(appRequest(op === "buffered-connect-binary-check" ? "app-binary-check" : "app-json-check", to));
      if (!response.ok) throw new Error(`${op}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      return;
    }
    default: {
      const response = await app.fetch(appRequest(op, to), env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
      if (!response.ok) throw new Error(`${op}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The product's Durable Objects, driven through their public RPC methods.

/** A test number's fixed code: the object sends nothing and records the send as made. */
const TEST_CODE = "123456";
const WRONG_CODE = "000000";

/** What the Worker's verifier sends the number's object for one number, recorded once per isolate. */
interface Inputs {
  /** A real start (no test code, timeoutSeconds 3600): its scopes are what every real start takes. */
  start: DoStartInput;
  /** A wrong-code check by id (the id is replaced per object). */
  check: DoCheckInput;
  /** A get by id (the id is replaced per object). */
  get: DoLookupInput;
}
let recorded: Promise<Inputs> | null = null;

/**
 * Runs the product's verifier (src/verifier.ts) for the built-in service against a stub number
 * object that keeps the inputs it is handed: the profile sends the object exactly what the Worker
 * would, whatever shape the inputs have now. Authentication goes through the real registry.
 */
async function recordInputs(profileEnv: ProfileEnv, to: string): Promise<Inputs> {
  const calls: Partial<Inputs> = {};
  const stub = {
    start: async (input: DoStartInput) => ((calls.start = input), { ok: true, value: view }),
    check: async (input: DoCheckInput) => ((calls.check = input), { ok: true, value: { status: "invalid", verification: view } }),
    get: async (input: DoLookupInput) => ((calls.get = input), { ok: true, value: view }),
  };
  const env = { ...profileEnv, PHONE_VERIFICATION: { idFromName: () => ({}), idFromString: () => ({}), get: () => stub } } as unknown as Env;
  const config = loadConfig(env);
  const principal = await authenticate(`Bearer ${config.apiKeys[0]}`, env, config);
  if (!principal) throw new Error("profile: the first of API_KEYS does not authenticate");
  const verifier = createVerifier({ env, config, principal });
  await verifier.start(validateStartRequest({ to, timeoutSeconds: 3600 }));
  await verifier.check(validateCheckRequest({ verificationId, code: WRONG_CODE }));
  await verifier.get(validateVerificationId(verificationId));
  if (!calls.start || !calls.check || !calls.get) throw new Error("profile: the verifier did not call the number's object");
  if (calls.start.testCode !== null) throw new Error(`profile: ${to} is a test number`);
  return calls as Inputs;
}

function inputsFor(profileEnv: ProfileEnv, numbers: string[]): Promise<Inputs> {
  recorded ??= recordInputs(profileEnv, numbers[0]!).catch((error: unknown) => {
    recorded = null;
    throw error;
  });
  return recorded;
}

/** The start a row sends: the real one with a test code (no SMS) or without (the provider is called). */
function startWith(inputs: Inputs, { testCode, scopes = true }: { testCode: string | null; scopes?: boolean }): DoStartInput {
  return { ...inputs.start, testCode, scopes: scopes ? inputs.start.scopes : [] };
}

/** A resend: the same start on a live verification, with the resend cooldown off in the policy the Worker sends. */
function resendOf(inputs: Inputs): DoStartInput {
  const policy = inputs.start.policy;
  return { ...startWith(inputs, { testCode: null }), policy: { ...policy, numberLimits: { ...policy.numberLimits, resendCooldownSeconds: [0] } } };
}

function ok<T>(what: string, result: DoResult<T>): T {
  if (!result.ok) throw new Error(`${what}: refused (${result.refusal.reason}: ${result.refusal.message})`);
  return result.value;
}

/** The range scope's take (sliding hour, conversion guard counting): the heaviest of a start's three. */
/** The range's counter as a start takes it (in its shard object, where it lives with others). */
function takeRange(stub: { takeAll(takes: CounterTake[]): Promise<unknown> }, inputs: Inputs) {
  const scope = rangeTake(inputs);
  return stub.takeAll([{ ...scope.take, counter: scope.counter }]);
}

function rangeTake(inputs: Inputs) {
  const scope = inputs.start.scopes.find((s) => s.rule === "velocity_range");
  if (!scope) throw new Error("profile: a start takes no range scope");
  return scope;
}

/**
 * Storage primitives inside one object of the product's class (its constructor and migration run
 * as in production), on a record the product wrote: prepare() is the product's own start() with a
 * test code and no scopes. The verification record is read and written under `v:<id>`, the key
 * storage.ts documents; nothing else of the product's layout is assumed. Writes in one loop share
 * a commit unless the operation says `commit` (then each write awaits storage.sync()).
 */
export class StorageProbe extends PhoneVerification {
  async prepare(input: DoStartInput): Promise<string> {
    return ok("prepare", await this.start(input)).id;
  }

  /** An empty method: the wake rows' first call. */
  noop(): void {}

  getAlarmOnly(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  kvGet(id: string): unknown {
    return this.ctx.storage.kv.get(`v:${id}`);
  }

  async probe(op: string, n: number, id: string): Promise<void> {
    const { kv, sql } = this.ctx.storage;
    const key = `v:${id}`;
    const stored = kv.get<VerificationRecord>(key);
    if (!stored) throw new Error(`probe: no record under ${key}`);
    if (op.includes("upsert")) sql.exec("CREATE TABLE IF NOT EXISTS hits (k TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)");
    const upsert = (i: number) =>
      sql.exec("INSERT INTO hits (k, n, at) VALUES (?, 1, ?) ON CONFLICT (k) DO UPDATE SET n = n + 1, at = excluded.at RETURNING n", "+14155552671", now + i).one();
    for (let i = 0; i < n; i++) {
      switch (op) {
        case "noop":
          break;
        case "kv-get-verification":
          kv.get(key);
          break;
        case "kv-put-verification":
          kv.put(key, { ...stored, updatedAt: stored.updatedAt + i });
          break;
        case "kv-list-verifications":
          for (const _entry of kv.list({ prefix: "v:" }));
          break;
        case "get-alarm":
          await this.ctx.storage.getAlarm();
          break;
        case "set-alarm":
          await this.ctx.storage.setAlarm(now + 3_600_000 + i);
          break;
        case "baseline-upsert":
          upsert(i);
          break;
        case "kv-put-commit":
          // The same two values as the baseline's row, under one key, then the commit awaited.
          kv.put("profile:hits", { n: i, at: now + i });
          await this.ctx.storage.sync();
          break;
        case "sql-upsert-commit":
          upsert(i);
          await this.ctx.storage.sync();
          break;
        case "constructor":
          // What waking costs the product before any call: its constructor (the store, and the
          // legacy-schema check of storage.ts), run on this object's own storage.
          new PhoneVerification(this.ctx, this.env);
          break;
        default:
          throw new Error(`unknown probe ${op}`);
      }
    }
  }
}

/** The smallest Durable Object: the RPC rows' baseline. */
export class EmptyObject extends DurableObject<Env> {
  noop(): void {}
}

/** The baseline's object (bench/baseline/worker.js), to price waking it the same way. */
export class BaselineWakeProbe extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (k TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)");
  }

  prepare(): void {
    this.#write();
  }

  async wake(op: string): Promise<void> {
    if (op === "upsert") this.#write();
    else if (op !== "noop") throw new Error(`unknown wake op ${op}`);
  }

  #write(): void {
    this.ctx.storage.sql.exec("INSERT INTO hits (k, n, at) VALUES (?, 1, ?) ON CONFLICT (k) DO UPDATE SET n = n + 1, at = excluded.at RETURNING n", "+14155552671", Date.now()).one();
  }
}

type ProfileEnv = Env & {
  PROBE: DurableObjectNamespace<StorageProbe>;
  EMPTY: DurableObjectNamespace<EmptyObject>;
  BASELINE_WAKE: DurableObjectNamespace<BaselineWakeProbe>;
};

interface Body {
  op: string;
  n: number;
  numbers: string[];
  /** Object names, one per iteration, for the rows that call a different object each time. */
  names?: string[];
  /** Verification ids, one per name (from a prepare). */
  ids?: string[];
}

export default {
  async fetch(request: Request, profileEnv: ProfileEnv): Promise<Response> {
    try {
      return await serve((await request.json()) as Body, profileEnv);
    } catch (error) {
      // The bench prints this: a failing row names its cause instead of a bare 500.
      return new Response(error instanceof Error ? `${error.stack ?? error.message}` : String(error), { status: 500 });
    }
  },
} satisfies ExportedHandler<ProfileEnv>;

async function serve(body: Body, profileEnv: ProfileEnv): Promise<Response> {
  const { op, n, numbers } = body;
  const names = body.names ?? [];
  const ids = body.ids ?? [];
  const numberObject = (name: string) => profileEnv.PHONE_VERIFICATION.get(profileEnv.PHONE_VERIFICATION.idFromName(name));
  const probe = (name: string) => profileEnv.PROBE.get(profileEnv.PROBE.idFromName(name));
  const counter = (name: string) => profileEnv.SCOPE_COUNTER.get(profileEnv.SCOPE_COUNTER.idFromName(name));
  const empty = (name: string) => profileEnv.EMPTY.get(profileEnv.EMPTY.idFromName(name));

  if (op === "setup") {
    const inputs = await inputsFor(profileEnv, numbers);
    return Response.json({ scopes: inputs.start.scopes.map((s) => s.rule) });
  }
  // Worker-side pieces: no object.
  if (!/^(do-|rpc-|scope-|number-|prepare-|wake-|baseline-wake-)/.test(op)) {
    for (let i = 0; i < n; i++) await runOnce(op, i, numbers);
    return Response.json({ op, n });
  }
  const inputs = await inputsFor(profileEnv, numbers);
  let result: unknown = { op, n };
  switch (op) {
    // Preparations (not timed): objects holding what a timed row needs.
    case "prepare-probe":
    case "prepare-wake":
      result = { ids: await each(names, (name) => probe(name).prepare(startWith(inputs, { testCode: TEST_CODE, scopes: false }))) };
      break;
    case "prepare-live":
      // Live verifications as a real start leaves them (test code, the three scopes taken).
      result = { ids: await each(names, async (name) => ok("prepare", await numberObject(name).start(startWith(inputs, { testCode: TEST_CODE }))).id) };
      break;
    case "prepare-sent":
      // Live verifications whose code went out through the provider.
      result = { ids: await each(names, async (name) => ok("prepare", await numberObject(name).start(startWith(inputs, { testCode: null }))).id) };
      break;
    case "prepare-scope":
      await takeRange(counter(names[0]!), inputs);
      break;
    case "prepare-baseline-wake":
      await each(names, (name) => profileEnv.BASELINE_WAKE.get(profileEnv.BASELINE_WAKE.idFromName(name)).prepare());
      break;

    // One RPC from this Worker per iteration.
    case "rpc-noop":
      for (let i = 0; i < n; i++) await empty("rpc-noop").noop();
      break;
    case "rpc-noop-new":
      await each(names, (name) => empty(name).noop());
      break;
    case "scope-take":
      for (let i = 0; i < n; i++) await takeRange(counter(names[0]!), inputs);
      break;
    case "scope-take-new":
      await each(names, (name) => takeRange(counter(name), inputs));
      break;
    case "number-get-new":
      // A new number object asked for an id it does not hold: not found, nothing written.
      await each(names, async (name) => {
        const answer = await numberObject(name).get(inputs.get);
        if (answer.ok || answer.refusal.reason !== "not_found") throw new Error(`number-get-new: ${JSON.stringify(answer).slice(0, 200)}`);
      });
      break;
    case "number-start-new-scopes":
      await each(names, async (name) => ok(op, await numberObject(name).start(startWith(inputs, { testCode: TEST_CODE }))));
      break;
    case "number-start-new-noscopes":
      await each(names, async (name) => ok(op, await numberObject(name).start(startWith(inputs, { testCode: TEST_CODE, scopes: false }))));
      break;
    case "number-start-new-sms":
      await each(names, async (name) => ok(op, await numberObject(name).start(startWith(inputs, { testCode: null }))));
      break;
    case "number-start-resend-sms":
      await each(names, async (name, i) => {
        const again = ok(op, await numberObject(name).start(resendOf(inputs)));
        if (again.id !== ids[i] || again.sendAttempts < 2) throw new Error(`${op}: not a resend of ${ids[i]} (${again.id}, ${again.sendAttempts} sends)`);
      });
      break;
    case "number-check-wrong":
    case "number-check-right":
      await each(names, async (name, i) => {
        const code = op === "number-check-right" ? TEST_CODE : WRONG_CODE;
        const checked = ok(op, await numberObject(name).check({ ...inputs.check, verificationId: ids[i]!, code }));
        const expected = op === "number-check-right" ? "approved" : "invalid";
        if (checked.status !== expected) throw new Error(`${op}: ${checked.status}, expected ${expected}`);
      });
      break;
    case "number-get":
      for (let i = 0; i < n; i++) ok(op, await numberObject(names[0]!).get({ ...inputs.get, verificationId: ids[0]! }));
      break;

    // Inside objects: storage primitives n times in one object, or the first call after a wake.
    default:
      if (op.startsWith("do-")) {
        await probe(names[0]!).probe(op.slice(3), n, ids[0]!);
      } else if (op.startsWith("wake-")) {
        await each(names, (name, i) => wake(op.slice("wake-".length), probe(name), ids[i]!, inputs));
      } else if (op.startsWith("baseline-wake-")) {
        await each(names, (name) => profileEnv.BASELINE_WAKE.get(profileEnv.BASELINE_WAKE.idFromName(name)).wake(op.slice("baseline-wake-".length)));
      } else {
        throw new Error(`unknown op ${op}`);
      }
  }
  return Response.json(result);
}

/** Calls `fn` for each name in turn (the rows are sequential: one call in flight). */
async function each<T>(names: string[], fn: (name: string, i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < names.length; i++) out.push(await fn(names[i]!, i));
  return out;
}

/** The first call after an eviction: nothing, a storage read, or the product's own get() or check(). */
async function wake(op: string, stub: DurableObjectStub<StorageProbe>, id: string, inputs: Inputs): Promise<void> {
  switch (op) {
    case "noop":
      return stub.noop();
    case "get-alarm":
      await stub.getAlarmOnly();
      return;
    case "kv-get-verification":
      await stub.kvGet(id);
      return;
    case "get":
      ok("wake get", await stub.get({ ...inputs.get, verificationId: id }));
      return;
    case "check":
      ok("wake check", await stub.check({ ...inputs.check, verificationId: id, code: WRONG_CODE }));
      return;
  }
  throw new Error(`unknown wake op ${op}`);
}
