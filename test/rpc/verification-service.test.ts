// Connect (JSON and binary) and gRPC-Web against the Worker, through the generated client.
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { parseCheckRequest, parseStartRequest } from "../../src/core/requests.ts";
import {
  Channel,
  CheckStatus,
  CheckVerificationRequestSchema,
  StartVerificationRequestSchema,
  VerificationService,
  VerificationStatus,
} from "../../src/gen/verify/v1/verification_pb.ts";
import { checkRequest, startRequest } from "../../src/rpc/verification-service.ts";
import { DEV_KEY, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

// workerd rejects redirect: "error", which connect-web sets; the Worker never redirects anyway.
const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
const auth = (key = DEV_KEY) => ({ headers: { authorization: `Bearer ${key}` } });

const transports: Array<[string, Transport]> = [
  ["Connect JSON", createConnectTransport({ baseUrl: "http://edge-verify.test", fetch: workerFetch, useBinaryFormat: false })],
  ["Connect binary", createConnectTransport({ baseUrl: "http://edge-verify.test", fetch: workerFetch, useBinaryFormat: true })],
  ["gRPC-Web", createGrpcWebTransport({ baseUrl: "http://edge-verify.test", fetch: workerFetch, useBinaryFormat: true })],
];

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

for (const [name, transport] of transports) {
  describe(`VerificationService over ${name}`, () => {
    const client = createClient(VerificationService, transport);

    it("start → wrong → right → reuse refused, code never in a response", async () => {
      const to = uniqueNumber();
      const started = await client.startVerification({ to, serviceName: "Acme", tags: { k: "v" } }, auth());
      const v = started.verification!;
      expect(v.status).toBe(VerificationStatus.PENDING);
      expect(v.to).toBe(to);
      expect(v.sendAttempts).toBe(1);
      expect(v.lookup?.countryCode).toBe("US");
      expect(v.tags).toEqual({ k: "v" });
      expect(Number(v.expireTime!.seconds - v.createTime!.seconds)).toBe(600);
      const code = await latestCode(to);

      const wrong = await client.checkVerification({ verificationId: v.id, code: wrongCode(code) }, auth());
      expect(wrong.status).toBe(CheckStatus.INVALID);
      expect(wrong.verification!.checkAttempts).toBe(1);

      const right = await client.checkVerification({ verificationId: v.id, code }, auth());
      expect(right.status).toBe(CheckStatus.APPROVED);
      expect(right.verification!.status).toBe(VerificationStatus.APPROVED);

      const reuse = await connectError(client.checkVerification({ verificationId: v.id, code }, auth()));
      expect(reuse.code).toBe(Code.FailedPrecondition);

      const got = await client.getVerification({ verificationId: v.id }, auth());
      expect(got.verification!.status).toBe(VerificationStatus.APPROVED);
      for (const response of [started, wrong, right, got]) expect(JSON.stringify(response, (_k, x) => (typeof x === "bigint" ? String(x) : x))).not.toContain(code);
    });

    it("check by number, and cancel", async () => {
      const to = uniqueNumber();
      const { verification } = await client.startVerification({ to, codeLength: 4 }, auth());
      const code = await latestCode(to);
      expect(code).toHaveLength(4);
      const canceled = await client.cancelVerification({ verificationId: verification!.id }, auth());
      expect(canceled.verification!.status).toBe(VerificationStatus.CANCELED);
      const check = await client.checkVerification({ verificationId: verification!.id, code }, auth());
      expect(check.status).toBe(CheckStatus.CANCELED);

      await timeTravel(to, 31_000); // past the resend cooldown, which a cancel does not lift
      const again = await client.startVerification({ to }, auth());
      const byNumber = await client.checkVerification({ to, code: await latestCode(to) }, auth());
      expect(byNumber.status).toBe(CheckStatus.APPROVED);
      expect(byNumber.verification!.id).toBe(again.verification!.id);
    });

    it("max attempts: five invalid, then max_attempts_reached even for the right code", async () => {
      const to = uniqueNumber();
      const { verification } = await client.startVerification({ to }, auth());
      const code = await latestCode(to);
      for (let i = 0; i < 5; i++) {
        expect((await client.checkVerification({ verificationId: verification!.id, code: wrongCode(code) }, auth())).status).toBe(CheckStatus.INVALID);
      }
      const right = await client.checkVerification({ verificationId: verification!.id, code }, auth());
      expect(right.status).toBe(CheckStatus.MAX_ATTEMPTS_REACHED);
    });

    it("bad input: InvalidArgument naming the field, nothing sent", async () => {
      const to = uniqueNumber();
      const cases: Array<[Parameters<typeof client.startVerification>[0], string]> = [
        [{ to: "" }, "to"],
        [{ to: "+999123" }, "to"],
        [{ to, codeLength: 3 }, "codeLength"],
        [{ to, codeLength: 11 }, "codeLength"],
        [{ to, timeoutSeconds: 30 }, "timeoutSeconds"],
        [{ to, timeoutSeconds: 7200 }, "timeoutSeconds"],
        [{ to, serviceName: "see https://x.io" }, "serviceName"],
        [{ to, serviceName: "(evil.com)" }, "serviceName"],
        [{ to, serviceName: "ｅｖｉｌ．ｃｏｍ" }, "serviceName"],
        [{ to, clientIp: "fe80::1%eth0" }, "clientIp"],
        [{ to, clientIp: "[::1]" }, "clientIp"],
        [{ to, clientIp: "::ffff:192.0.2.01" }, "clientIp"],
      ];
      for (const [request, field] of cases) {
        const error = await connectError(client.startVerification(request, auth()));
        expect(error.code).toBe(Code.InvalidArgument);
        expect(error.rawMessage).toContain(field);
      }
      expect(await messagesTo(to)).toHaveLength(0);
    });

    it("unknown id: NotFound; missing key: Unauthenticated", async () => {
      expect((await connectError(client.getVerification({ verificationId: "ve_unknown" }, auth()))).code).toBe(Code.NotFound);
      const to = uniqueNumber();
      expect((await connectError(client.startVerification({ to }))).code).toBe(Code.Unauthenticated);
      expect((await connectError(client.startVerification({ to }, auth("wrong")))).code).toBe(Code.Unauthenticated);
      expect(await messagesTo(to)).toHaveLength(0);
    });
  });
}

describe("Connect wire format", () => {
  it("malformed JSON and binary bodies are the caller's error, not a 500", async () => {
    const post = (contentType: string, body: BodyInit) =>
      exports.default.fetch(
        new Request("http://edge-verify.test/verify.v1.VerificationService/StartVerification", {
          method: "POST",
          headers: { "content-type": contentType, authorization: `Bearer ${DEV_KEY}` },
          body,
        }),
      );
    const badJson = await post("application/json", "{nope");
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: "invalid_argument" });
    const badBinary = await post("application/proto", new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(badBinary.status).toBe(400);
    expect(await badBinary.json()).toMatchObject({ code: "invalid_argument" });
    const badGrpcWeb = await post("application/grpc-web+proto", new Uint8Array([0, 0, 0, 0, 4, 0x0a, 0xff, 0xff, 0xff]));
    expect(badGrpcWeb.headers.get("grpc-status")).toBe("3");
    const badEnvelope = await post("application/grpc-web+proto", new Uint8Array([0, 0, 0, 9, 9]));
    expect(badEnvelope.headers.get("grpc-status")).toBe("3");
    const wrongType = await post("application/json", JSON.stringify({ to: 5 }));
    expect(wrongType.status).toBe(400);
  });

  it("Connect JSON answers the proto JSON mapping", async () => {
    const to = uniqueNumber();
    const response = await exports.default.fetch(
      new Request("http://edge-verify.test/verify.v1.VerificationService/StartVerification", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
        body: JSON.stringify({ to, codeLength: 6 }),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { verification: Record<string, unknown> };
    expect(body.verification).toMatchObject({ to, channel: "CHANNEL_SMS", status: "VERIFICATION_STATUS_PENDING", sendAttempts: 1 });
    expect(body.verification.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe("the proto messages as typed requests", () => {
  /** A start message with `to` and `init`, as a typed request. */
  const start = (init: MessageInitShape<typeof StartVerificationRequestSchema>) => startRequest(create(StartVerificationRequestSchema, { to: "+14155552671", ...init }));
  const refusal = (fn: () => unknown) => {
    try {
      fn();
      return "accepted";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("a message of zero values is the JSON body with only `to`: the request's defaults apply", () => {
    expect(startRequest(create(StartVerificationRequestSchema, { to: "+14155552671" }))).toEqual(parseStartRequest({ to: "+14155552671" }));
    expect(checkRequest(create(CheckVerificationRequestSchema, { to: "+14155552671", code: "1234" }))).toEqual(parseCheckRequest({ to: "+14155552671", code: "1234" }));
  });

  it("every field maps to its JSON counterpart, enums by name", () => {
    const fields = { to: "+14155552671", locale: "pt-BR", codeLength: 8, timeoutSeconds: 120, serviceName: "Acme", externalId: "u-7", tags: { k: "v" }, clientIp: "203.0.113.7", webOtpDomain: "example.com", appHash: "FA+9qCX9VSu", fallbackAfterSeconds: 45, lookup: true };
    const message = create(StartVerificationRequestSchema, { ...fields, channel: Channel.WHATSAPP, channels: [Channel.WHATSAPP, Channel.SMS] });
    expect(startRequest(message)).toEqual(parseStartRequest({ ...fields, channel: "whatsapp", channels: ["whatsapp", "sms"] }));
  });

  it("the same rules, in the same words, as the JSON body", () => {
    expect(refusal(() => start({ codeLength: 3 }))).toBe("codeLength: must be from 4 to 10");
    expect(refusal(() => start({ channels: [Channel.SMS, Channel.SMS] }))).toBe("channels: must not repeat a channel");
    expect(refusal(() => start({ fallbackAfterSeconds: 45 }))).toBe("fallbackAfterSeconds: needs at least two channels");
    expect(refusal(() => start({ to: "" }))).toBe("to: is required: a phone number in E.164, e.g. +14155550100");
    expect(refusal(() => checkRequest(create(CheckVerificationRequestSchema, { to: "+14155552671" })))).toBe("code: is required");
  });

  it("an enum value this build does not know is refused by name, UNSPECIFIED in a list too", () => {
    expect(refusal(() => start({ channel: 9 as Channel }))).toBe('channel: must be "sms", "whatsapp" or "call"');
    expect(refusal(() => start({ channels: [Channel.SMS, Channel.UNSPECIFIED] }))).toBe('channels[1]: must be "sms", "whatsapp" or "call"');
  });
});
