// The soak's front doors: REST, Connect (JSON and binary), the Twilio Verify v2 endpoints and the
// Mobile Text Alerts endpoints. Each door builds its own requests, and readAnswer() is the one
// place every door's answer becomes the invariant model's vocabulary (ran, id, check, reason, test,
// replayed): invariants.mjs never looks at a door's wire format.
import { createHash } from "node:crypto";

/** The doors, in the order the tables list them; each operation of the soak picks one. */
export const DOORS = ["rest", "connect_json", "connect_binary", "twilio", "mta"];

/**
 * What each door offers. `key`: operations that take an idempotency key (MTA's X-Request-Id on
 * send-code answers a repeat 409 by its contract, not a replay). `byId`: can address a verification
 * by our id (Twilio addresses it by the sid its own start returned, so only verifications started
 * or resent through it). `clientIp` and `timeout`: the start fields the door carries.
 */
export const CAN = {
  rest: { get: true, cancel: true, key: ["start", "check", "cancel"], byId: true, clientIp: true, timeout: true },
  connect_json: { get: true, cancel: true, key: ["start", "check", "cancel"], byId: true, clientIp: true, timeout: true },
  connect_binary: { get: true, cancel: true, key: ["start", "check", "cancel"], byId: true, clientIp: true, timeout: true },
  twilio: { get: true, cancel: true, key: [], byId: false, clientIp: true, timeout: false },
  mta: { get: false, cancel: false, key: ["start"], byId: true, clientIp: false, timeout: true },
};

/** A door can run `op` on verification `v` ({id, sid}) when it has the operation and can address it. */
export function canAddress(door, op, v) {
  if (op === "get" && !CAN[door].get) return false;
  if (op === "cancel" && !CAN[door].cancel) return false;
  return door === "twilio" ? Boolean(v.sid) : Boolean(v.id);
}

/** Twilio's sid for one of our verification ids (src/compat/sids.ts: "VE" + SHA-256 prefix). */
export function twilioSidOf(verificationId) {
  return "VE" + createHash("sha256").update(`edge-verify/twilio-sid/verification\0${verificationId}`).digest("hex").slice(0, 32);
}

const CONNECT = "/verify.v1.VerificationService";
const CONNECT_METHOD = { start: "StartVerification", check: "CheckVerification", get: "GetVerification", cancel: "CancelVerification" };
const CONNECT_SCHEMA = {
  start: ["StartVerificationRequestSchema", "StartVerificationResponseSchema"],
  check: ["CheckVerificationRequestSchema", "CheckVerificationResponseSchema"],
  get: ["GetVerificationRequestSchema", "GetVerificationResponseSchema"],
  cancel: ["CancelVerificationRequestSchema", "CancelVerificationResponseSchema"],
};

/**
 * The doors over one set of credentials. `pb` is the generated schemas (bench/profile.mjs
 * loadSchemas), `protobuf` is @bufbuild/protobuf's runtime, `accountSid` the deployment's Twilio
 * account sid (the Basic username).
 */
export function createDoors({ pb, protobuf, accountSid, codeLength }) {
  const { create, toBinary, fromBinary, toJsonString } = protobuf;
  const checkName = { [pb.CheckStatus.APPROVED]: "approved", [pb.CheckStatus.INVALID]: "invalid", [pb.CheckStatus.EXPIRED]: "expired", [pb.CheckStatus.MAX_ATTEMPTS_REACHED]: "max_attempts_reached", [pb.CheckStatus.CANCELED]: "canceled" };
  const stateName = Object.fromEntries(Object.entries(pb.VerificationStatus).filter(([, n]) => typeof n === "number" && n > 0).map(([name, n]) => [n, name.toLowerCase()]));
  const checkJsonName = { CHECK_STATUS_APPROVED: "approved", CHECK_STATUS_INVALID: "invalid", CHECK_STATUS_EXPIRED: "expired", CHECK_STATUS_MAX_ATTEMPTS_REACHED: "max_attempts_reached", CHECK_STATUS_CANCELED: "canceled" };

  /**
   * The HTTP request for `op` through `door`. `input`: {service: {apiKey, sid}, to, clientIp,
   * timeoutSeconds, key, id, sid, code}. Returns {method, path, headers, body, reqBody} where
   * reqBody is the text the idempotency invariant compares.
   */
  function request(door, op, input) {
    const { service, key } = input;
    const bearer = { authorization: `Bearer ${service.apiKey}` };
    if (door === "rest") {
      const headers = { ...bearer, ...(key ? { "idempotency-key": key } : {}) };
      const json = (path, value) => ({ method: "POST", path, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(value), reqBody: JSON.stringify(value) });
      if (op === "start") return json("/v1/verifications", startFields(input));
      if (op === "check") return json("/v1/verifications/check", { verificationId: input.id, code: input.code });
      if (op === "get") return { method: "GET", path: `/v1/verifications/${input.id}`, headers, body: undefined, reqBody: "" };
      if (op === "cancel") return { method: "POST", path: `/v1/verifications/${input.id}/cancel`, headers, body: undefined, reqBody: "" };
    }
    if (door === "connect_json" || door === "connect_binary") {
      const binary = door === "connect_binary";
      const fields = op === "start" ? startFields(input) : op === "check" ? { verificationId: input.id, code: input.code } : { verificationId: input.id };
      const schema = pb[CONNECT_SCHEMA[op][0]];
      const message = create(schema, fields);
      const body = binary ? Buffer.from(toBinary(schema, message)) : toJsonString(schema, message);
      const headers = { ...bearer, "content-type": binary ? "application/proto" : "application/json", "connect-protocol-version": "1", ...(key ? { "idempotency-key": key } : {}) };
      return { method: "POST", path: `${CONNECT}/${CONNECT_METHOD[op]}`, headers, body, reqBody: binary ? body.toString("base64") : body };
    }
    if (door === "twilio") {
      const headers = { authorization: "Basic " + Buffer.from(`${accountSid}:${service.apiKey}`).toString("base64"), "content-type": "application/x-www-form-urlencoded" };
      const base = `/v2/Services/${service.sid}`;
      const form = (path, fields) => {
        const body = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined)).toString();
        return { method: "POST", path, headers, body, reqBody: body };
      };
      if (op === "start") return form(`${base}/Verifications`, { To: input.to, Channel: "sms", DeviceIp: input.clientIp });
      if (op === "check") return form(`${base}/VerificationCheck`, { VerificationSid: input.sid, Code: input.code });
      if (op === "get") return { method: "GET", path: `${base}/Verifications/${input.sid}`, headers: { authorization: headers.authorization }, body: undefined, reqBody: "" };
      if (op === "cancel") return form(`${base}/Verifications/${input.sid}`, { Status: "canceled" });
    }
    if (door === "mta") {
      const headers = { ...bearer, "content-type": "application/json", ...(key ? { "x-request-id": key } : {}) };
      // MTA's default code is 6 digits; the soak's leak scan wants every code at codeLength.
      if (op === "start") {
        const fields = { to: input.to, codeLength, ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}) };
        return { method: "POST", path: "/v3/verify/sms/send-code", headers, body: JSON.stringify(fields), reqBody: JSON.stringify(fields) };
      }
      if (op === "check") {
        const fields = { verificationId: input.id, code: input.code };
        return { method: "POST", path: "/v3/verify/sms/check-code", headers, body: JSON.stringify(fields), reqBody: JSON.stringify(fields) };
      }
    }
    throw new Error(`door ${door} has no ${op}`);
  }

  function startFields(input) {
    return { to: input.to, ...(input.clientIp ? { clientIp: input.clientIp } : {}), ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}) };
  }

  /**
   * An answer in the model's vocabulary:
   * - `ran`: the request did its work (a start made or resent a verification and handed it to the
   *   provider, even when the send then failed for good; a check was judged; a get or cancel
   *   answered the verification). False for refusals, errors and replays.
   * - `id`: our verification id where the door tells it (Twilio: `sid`, mapped by the caller).
   * - `check`: approved | invalid | expired | canceled | max_attempts_reached, or `over` where the
   *   door folds the last three (MTA's EXPIRED); null when no check was judged.
   * - `reason`: the refusal reason of src/core/errors.ts (as far as the door tells it), `internal`,
   *   or `duplicate_request` (MTA's answer to a repeated X-Request-Id); null when none.
   * - `state`: the verification's status after the request (pending, failed, approved, …) where the
   *   door tells it, else null.
   * - `test`: whether a start went to a test number, null where the door does not say.
   * - `replayed`: an idempotency record answered instead of the request running.
   * `bodyText` is what the leak scan and the replay comparison read.
   */
  function readAnswer(door, op, { status, headers, bytes }) {
    const text = bytes.toString("utf8");
    const model = { ran: false, id: null, sid: null, check: null, state: null, reason: null, rule: null, test: null, replayed: false, bodyText: text };
    let json = null;
    const isJson = (headers.get("content-type") ?? "").includes("json");
    if (isJson) {
      try {
        json = JSON.parse(text);
      } catch {}
    }
    if (status === 0) return model;
    const ok = status >= 200 && status < 300;

    if (door === "rest") {
      model.replayed = headers.get("idempotent-replayed") === "true";
      if (ok) {
        model.ran = !model.replayed;
        const v = op === "check" ? json?.verification : json;
        model.id = v?.id ?? null;
        model.test = v?.test ?? null;
        model.state = v?.status ?? null;
        if (op === "check") model.check = json?.status ?? null;
      } else {
        model.reason = json?.details?.[0]?.reason ?? json?.code ?? "internal";
        model.rule = json?.details?.[0]?.rule ?? null;
      }
      return model;
    }

    if (door === "connect_json" || door === "connect_binary") {
      model.replayed = headers.get("idempotent-replayed") === "true";
      if (ok) {
        model.ran = !model.replayed;
        let message;
        if (door === "connect_binary") {
          const schema = pb[CONNECT_SCHEMA[op][1]];
          message = fromBinary(schema, bytes);
          model.bodyText = bytes.toString("latin1"); // compared byte for byte; digits stay digits
          model.check = op === "check" ? (checkName[message.status] ?? "unknown") : null;
          model.id = message.verification?.id || null;
          model.test = message.verification?.test ?? null;
          model.state = stateName[message.verification?.status] ?? null;
        } else {
          message = json ?? {};
          model.check = op === "check" ? (checkJsonName[message.status] ?? "unknown") : null;
          model.id = message.verification?.id || null;
          model.test = message.verification?.test === true; // proto JSON omits false
          model.state = message.verification?.status?.replace(/^VERIFICATION_STATUS_/, "").toLowerCase() ?? null;
        }
      } else {
        // Connect errors are JSON in both codecs; our reason rides in the error's metadata.
        model.reason = headers.get("x-verify-reason") ?? json?.code ?? "internal";
        model.rule = headers.get("x-verify-rule");
      }
      return model;
    }

    if (door === "twilio") {
      if (ok) {
        model.ran = true;
        model.sid = json?.sid ?? null;
        if (op !== "check") model.state = json?.status ?? null;
        if (op === "check") model.check = json?.valid === true ? "approved" : json?.status === "pending" || json?.status === "max_attempts_reached" ? "invalid" : (json?.status ?? "unknown");
        return model;
      }
      const code = json?.code;
      model.reason = TWILIO_REASON[code] ?? "internal";
      // A start whose send failed for good answers 400 here (Twilio clients read 201 as "sent"):
      // it ran, and its code may have reached the user through a lost answer.
      if (op === "start" && code === 60200 && /could not be delivered/.test(json?.message ?? "")) {
        model.ran = true;
        model.state = "failed";
        model.reason = "verification_failed";
      }
      return model;
    }

    if (door === "mta") {
      const data = json?.data ?? json ?? {};
      if (ok) {
        model.ran = true;
        model.id = data.verificationId ?? null;
        if (op === "start") model.state = "pending";
        if (op === "check") model.check = MTA_CHECK[data.status] ?? "unknown";
        return model;
      }
      if (json?.error === "ConflictError" && json?.reason === "duplicate_request") {
        // MTA's contract: a repeated X-Request-Id answers 409 and sends nothing. The record answered.
        model.replayed = true;
        model.reason = "duplicate_request";
        return model;
      }
      model.reason = REASONS.has(json?.reason) ? json.reason : (MTA_REASON[json?.error] ?? "internal");
      if (!REASONS.has(json?.reason) && json?.reason) model.rule = json.reason;
      if (op === "start" && json?.error === "BadRequestError" && data.verificationId) {
        // A send that failed for good: 400 with the verification, as Twilio's door.
        model.ran = true;
        model.id = data.verificationId;
        model.state = "failed";
        model.reason = "verification_failed";
      }
      return model;
    }
    throw new Error(`unknown door ${door}`);
  }

  return { request, readAnswer };
}

/** src/core/errors.ts RefusalReason. */
const REASONS = new Set([
  "invalid_argument",
  "unauthenticated",
  "not_found",
  "already_approved",
  "verification_failed",
  "lookups_off",
  "resend_too_soon",
  "limit_reached",
  "locked",
  "rule_refused",
  "idempotency_key_reused",
  "idempotency_in_progress",
  "unavailable",
  "misconfigured",
]);

// src/compat/twilio.ts twilioErrorFor, read backwards. Twilio folds several reasons into one code
// (60200: invalid argument, already approved, failed send; 60203: cooldown or a limit): the model
// gets the one the soak's invariants need to tell apart.
const TWILIO_REASON = {
  20003: "unauthenticated",
  20404: "not_found",
  60200: "invalid_argument",
  60202: "limit_reached",
  60203: "limit_reached",
  60205: "rule_refused",
  60605: "rule_refused",
  60212: "idempotency_in_progress",
  20503: "unavailable",
  20500: "internal",
};

// src/compat/mta.ts mtaErrorFor, read backwards, for answers whose `reason` is a rule name.
const MTA_REASON = {
  BadRequestError: "invalid_argument",
  UnauthorizedError: "unauthenticated",
  ForbiddenError: "rule_refused",
  NotFoundError: "not_found",
  ConflictError: "idempotency_in_progress",
  TooManyRequestsError: "limit_reached",
  ServiceUnavailableError: "unavailable",
  InternalServerError: "internal",
};

const MTA_CHECK = { APPROVED: "approved", INVALID: "invalid", EXPIRED: "over" };
