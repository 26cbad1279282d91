// Bench-only Worker: runs one piece of the product `n` times inside a single request so the bench
// can read its cost from workerd's CPU time (workerd freezes clocks while JavaScript runs, so
// in-Worker timers cannot measure it). The `app-*` operations run the real Hono app, auth and
// transports included, against an in-memory Durable Object namespace that answers at once: the
// Worker-side cost of a request, without the object, the network or the provider.
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
import { log } from "../../src/log.ts";
import { PhoneVerification } from "../../src/objects/phone-verification/phone-verification.ts";

// The product's objects report to Insights; the profile hosts it like the deployed Worker does.
export { Insights } from "../../src/objects/insights.ts";
import { CheckVerificationRequestSchema, StartVerificationRequestSchema, StartVerificationResponseSchema } from "../../src/gen/verify/v1/verification_pb.ts";
import { kVerifier, verificationMessage, verificationServiceRoutes } from "../../src/rpc/verification-service.ts";
import { createVerifier, type VerificationView } from "../../src/verifier.ts";

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
/** The object's per-request policy as the Worker would send it for the built-in service. */
const POLICY = { maxCheckAttempts: config.maxCheckAttempts, numberLimits: config.numberLimits, templates: null, webhook: null };
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
  previousCodeHashes: [],
  test: false,
} satisfies VerificationView;
const stub = {
  start: async () => ({ ok: true, value: view }),
  check: async () => ({ ok: true, value: { status: "invalid", verification: view } }),
};
// The registry answers the built-in service at once (the product caches it per isolate anyway).
const registry = {
  ensureService: async (input: { id: string; settings: unknown }) => ({ ...input, webhookSecret: "whsec_bench", createdAt: 0, updatedAt: 0 }),
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

/**
 * The product's object class (its constructor creates the real schema), plus a probe that runs one
 * storage statement of the check path `n` times on a row shaped like a live verification. The
 * statements mirror src/phone-verification.ts (#load, #save, #scheduleAlarm); `baseline-upsert`
 * is bench/baseline/worker.js's one write. Writes in one loop share a commit, so these figures
 * leave out the per-request commit that every request, the baseline's too, pays once.
 */
/** The object's start input as the Worker builds it for the built-in service, no scopes. */
function startInput(testCode: string | null): Parameters<PhoneVerification["start"]>[0] {
  return {
    service: "default",
    to: "+14155552671",
    codeLength: 6,
    ttlSeconds: 3600,
    countryCode: "US",
    lineType: "fixed_line_or_mobile",
    externalId: "",
    tags: {},
    locale: "en",
    serviceName: "edge-verify",
    risks: [],
    channels: ["sms"],
    fallbackAfterSeconds: 0,
    bindings: {},
    scopes: [],
    denyListMode: "enforce",
    lookupPlan: null,
    policy: POLICY,
    testCode,
  };
}

export class StorageProbe extends PhoneVerification {
  async probe(op: string, n: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    // The row is the product's own: a start() with a fixed code (no provider call) creates the
    // real schema and a live verification; the rewrite statement reuses its actual columns.
    // Each repeat calls this on the same object: clear the per-number counters (cooldown) first.
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'number_state'").toArray().length > 0) sql.exec("DELETE FROM number_state");
    const started = await this.start(startInput("123456"));
    if (!started.ok) throw new Error(`probe start: ${started.refusal.reason}`);
    const id = started.value.id;
    const stored = sql.exec("SELECT * FROM verifications WHERE id = ?", id).toArray()[0]!;
    const columns = Object.keys(stored);
    const insert = `INSERT OR REPLACE INTO verifications (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
    const save = (i: number) => sql.exec(insert, ...columns.map((c) => (c === "updated_at" ? (stored[c] as number) + i : stored[c]!)));
    sql.exec("CREATE TABLE IF NOT EXISTS hits (k TEXT PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL)");
    for (let i = 0; i < n; i++) {
      switch (op) {
        case "noop":
          break;
        case "select-by-id":
          sql.exec("SELECT * FROM verifications WHERE id = ?", id).toArray();
          break;
        case "insert-or-replace":
          save(i);
          break;
        case "select-min-due":
          sql.exec(`SELECT MIN(CASE WHEN status = 'pending' THEN expires_at ELSE updated_at + ? END) AS due FROM verifications`, 7 * 86_400_000).one();
          break;
        case "get-alarm":
          await this.ctx.storage.getAlarm();
          break;
        case "set-alarm":
          await this.ctx.storage.setAlarm(now + 3_600_000 + i);
          break;
        case "constructor":
          // What waking costs the product before any call: its constructor (schema lookup and
          // #migrate on an existing schema), run on this object's own storage.
          new PhoneVerification(this.ctx, this.env);
          break;
        case "reset-check-attempts":
          sql.exec("UPDATE verifications SET check_attempts = 0 WHERE id = ?", id);
          break;
        case "product-check":
          // The product's own check(), minus the RPC: a wrong code on a live verification. The
          // reset keeps it live (≤ 4 wrong codes); its cost is measured alone just above.
          sql.exec("UPDATE verifications SET check_attempts = 0 WHERE id = ?", id);
          await this.check({ service: "default", verificationId: id, to: "", code: "000000", policy: POLICY });
          break;
        case "product-check-approve":
          // A right code: approve, then the next iteration starts a fresh verification (no SMS).
          {
            sql.exec("DELETE FROM number_state"); // the cooldown would refuse the next start
            const again = await this.start(startInput("123456"));
            if (!again.ok) throw new Error(`probe start: ${again.refusal.reason}`);
            await this.check({ service: "default", verificationId: again.value.id, to: "", code: "123456", policy: POLICY });
          }
          break;
        case "product-start-resend":
          // The product's own start() on a live verification (a resend), provider fetch included.
          // Per-number counters are cleared first so the cooldown does not turn it into a refusal.
          sql.exec("DELETE FROM number_state");
          await this.start(startInput(null));
          break;
        case "baseline-upsert":
          sql.exec("INSERT INTO hits (k, n, at) VALUES (?, 1, ?) ON CONFLICT (k) DO UPDATE SET n = n + 1, at = excluded.at RETURNING n", "+14155552671", now + i).one();
          break;
        default:
          throw new Error(`unknown probe ${op}`);
      }
    }
  }
}

// Waking: the bench evicts prepared objects (Miniflare's unsafeEvictDurableObject), then each
// object runs one operation as its first call after waking, like a check arriving after the user
// took a while to type the code.
export class WakeProbe extends StorageProbe {
  async prepare(): Promise<void> {
    // The product's own start() (fixed code, no SMS) writes the row and its expiry alarm; the id
    // is then pinned so every object answers the same check input.
    const started = await this.start(startInput("123456"));
    if (!started.ok) throw new Error(`prepare: ${started.refusal.reason}`);
    this.ctx.storage.sql.exec("UPDATE verifications SET id = ? WHERE id = ?", verificationId, started.value.id);
  }

  async wake(op: string): Promise<void> {
    switch (op) {
      case "noop":
        return;
      case "get-alarm":
        await this.ctx.storage.getAlarm();
        return;
      case "select-by-id":
        this.ctx.storage.sql.exec("SELECT * FROM verifications WHERE id = ?", verificationId).toArray();
        return;
      case "product-check":
        await this.check({ service: "default", verificationId, to: "", code: "000000", policy: POLICY });
        return;
    }
    throw new Error(`unknown wake op ${op}`);
  }
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
    if (op === "baseline-upsert") this.#write();
    else if (op !== "noop") throw new Error(`unknown wake op ${op}`);
  }

  #write(): void {
    this.ctx.storage.sql.exec("INSERT INTO hits (k, n, at) VALUES (?, 1, ?) ON CONFLICT (k) DO UPDATE SET n = n + 1, at = excluded.at RETURNING n", "+14155552671", Date.now()).one();
  }
}

type ProfileEnv = {
  PROBE?: DurableObjectNamespace<StorageProbe>;
  WAKE?: DurableObjectNamespace<WakeProbe>;
  BASELINE_WAKE?: DurableObjectNamespace<BaselineWakeProbe>;
};

export default {
  async fetch(request: Request, profileEnv: ProfileEnv): Promise<Response> {
    try {
      return await serve(request, profileEnv);
    } catch (error) {
      // The bench prints this: a failing row names its cause instead of a bare 500.
      return new Response(error instanceof Error ? `${error.stack ?? error.message}` : String(error), { status: 500 });
    }
  },
} satisfies ExportedHandler<ProfileEnv>;

async function serve(request: Request, profileEnv: ProfileEnv): Promise<Response> {
  {
    const { op, n, numbers, names } = (await request.json()) as { op: string; n: number; numbers: string[]; names?: string[] };
    if (op.startsWith("prepare-") || op.startsWith("wake-") || op.startsWith("baseline-wake-")) {
      const baseline = op.startsWith("baseline-") || op === "prepare-baseline-wake";
      const namespace = (baseline ? profileEnv.BASELINE_WAKE! : profileEnv.WAKE!) as DurableObjectNamespace<WakeProbe | BaselineWakeProbe>;
      for (const name of names ?? []) {
        const stub = namespace.get(namespace.idFromName(name));
        if (op.startsWith("prepare-")) await stub.prepare();
        else await stub.wake(op.slice(op.indexOf("wake-") + "wake-".length));
      }
      return Response.json({ op, n: names?.length ?? 0 });
    }
    if (op.startsWith("do-")) {
      const namespace = profileEnv.PROBE!;
      await namespace.get(namespace.idFromName(op)).probe(op.slice(3), n);
      return Response.json({ op, n });
    }
    for (let i = 0; i < n; i++) await runOnce(op, i, numbers);
    return Response.json({ op, n });
  }
}
