// Serving Connect routers on Workers (src/rpc/handler.ts), with a tiny in-memory PhoneNumberService:
// the request-path map, unary calls in Connect JSON, Connect binary and gRPC-Web, undecodable
// binary bodies answered as the caller's error, the 64 KiB read limit, and our errors mapped.
// The real services over the Worker: test/rpc/verification-service.test.ts and admin-service.test.ts.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createContextKey, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { VerifyError } from "../../src/core/errors.ts";
import { LookupPhoneNumberRequestSchema, LookupPhoneNumberResponseSchema, PhoneNumberService } from "../../src/gen/verify/v1/phone_number_pb.ts";
import { createConnectFetchHandler } from "../../src/rpc/handler.ts";

const CALLER = createContextKey<string>("nobody", { description: "who is calling" });
const LOOKUP = "/verify.v1.PhoneNumberService/LookupPhoneNumber";
const ERASE = "/verify.v1.PhoneNumberService/ErasePhoneNumber";

/** The service under the handler: answers from its input and the caller, or throws what it is told. */
function setup() {
  const calls: string[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(PhoneNumberService, {
      async lookupPhoneNumber(req, ctx) {
        calls.push(req.phoneNumber);
        return { phoneNumber: `${req.phoneNumber} for ${ctx.values.get(CALLER)}`, cached: true };
      },
      async erasePhoneNumber(req) {
        calls.push(req.phoneNumber);
        if (req.phoneNumber === "unknown") throw new VerifyError("not_found", "phoneNumber: no such number", { field: "phoneNumber", retryAfterSeconds: 3 });
        if (req.phoneNumber === "limited") throw new VerifyError("limit_reached", "phoneNumber: too many", { rule: "budget" });
        throw new Error("secret database detail");
      },
    });
  return { handler: createConnectFetchHandler(routes), calls };
}

const values = () => createContextValues().set(CALLER, "svc-1");
const post = (path: string, contentType: string, body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`https://verify.example.test${path}`, { method: "POST", headers: { "content-type": contentType, ...headers }, body });

/** A gRPC-Web frame: flags, 4-byte big-endian length, payload. */
function frame(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

function frames(bytes: Uint8Array): { flags: number; payload: Uint8Array }[] {
  const out: { flags: number; payload: Uint8Array }[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset).getUint32(1);
    out.push({ flags: bytes[offset]!, payload: bytes.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return out;
}

describe("createConnectFetchHandler", () => {
  it("knows the request paths of the registered RPCs only", () => {
    const { handler } = setup();
    expect(handler.handles(LOOKUP)).toBe(true);
    expect(handler.handles("/verify.v1.PhoneNumberService/AddListEntry")).toBe(true);
    expect(handler.handles("/verify.v1.VerificationService/StartVerification")).toBe(false);
    expect(handler.handles("/verify.v1.PhoneNumberService/Nope")).toBe(false);
  });

  it("serves a unary call in Connect JSON, with the context values handed to the service", async () => {
    const { handler } = setup();
    const response = await handler.fetch(post(LOOKUP, "application/json", JSON.stringify({ phoneNumber: "+14155550100" })), values());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ phoneNumber: "+14155550100 for svc-1", cached: true });
  });

  it("serves Connect binary", async () => {
    const { handler } = setup();
    const body = toBinary(LookupPhoneNumberRequestSchema, create(LookupPhoneNumberRequestSchema, { phoneNumber: "+14155550100" }));
    const response = await handler.fetch(post(LOOKUP, "application/proto", body), values());
    expect(response.status).toBe(200);
    expect(fromBinary(LookupPhoneNumberResponseSchema, new Uint8Array(await response.arrayBuffer()))).toMatchObject({ phoneNumber: "+14155550100 for svc-1", cached: true });
  });

  it("serves gRPC-Web: a data frame, then a trailer frame with grpc-status 0", async () => {
    const { handler } = setup();
    const body = frame(toBinary(LookupPhoneNumberRequestSchema, create(LookupPhoneNumberRequestSchema, { phoneNumber: "+14155550100" })));
    const response = await handler.fetch(post(LOOKUP, "application/grpc-web+proto", body), values());
    expect(response.status).toBe(200);
    const [data, trailer] = frames(new Uint8Array(await response.arrayBuffer()));
    expect(fromBinary(LookupPhoneNumberResponseSchema, data!.payload).phoneNumber).toBe("+14155550100 for svc-1");
    expect(trailer!.flags & 0x80).toBe(0x80);
    expect(new TextDecoder().decode(trailer!.payload)).toMatch(/grpc-status: ?0/);
  });

  it("an undecodable binary body is invalid_argument in the caller's protocol, and the service is never called", async () => {
    const { handler, calls } = setup();
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff]);
    const connect = await handler.fetch(post(LOOKUP, "application/proto", garbage), values());
    expect(connect.status).toBe(400);
    expect(await connect.json()).toEqual({ code: "invalid_argument", message: expect.stringMatching(/^body: cannot decode verify\.v1\.LookupPhoneNumberRequest: /) });

    const grpcWeb = await handler.fetch(post(LOOKUP, "application/grpc-web+proto", frame(garbage)), values());
    expect(grpcWeb.status).toBe(200);
    expect(grpcWeb.headers.get("grpc-status")).toBe("3");
    expect(decodeURIComponent(grpcWeb.headers.get("grpc-message")!)).toMatch(/^body: cannot decode verify\.v1\.LookupPhoneNumberRequest/);
    expect(await grpcWeb.arrayBuffer()).toHaveProperty("byteLength", 0);
    expect(calls).toEqual([]);
  });

  it("a gRPC-Web body that is not exactly one uncompressed frame is a malformed envelope", async () => {
    const { handler, calls } = setup();
    const payload = toBinary(LookupPhoneNumberRequestSchema, create(LookupPhoneNumberRequestSchema, { phoneNumber: "+1" }));
    const good = frame(payload);
    const cases = [good.subarray(0, 4), good.subarray(0, good.length - 1), new Uint8Array([...good, 0]), frame(payload, 1)];
    for (const body of cases) {
      const response = await handler.fetch(post(LOOKUP, "application/grpc-web", body), values());
      expect(response.headers.get("grpc-status")).toBe("3");
      expect(decodeURIComponent(response.headers.get("grpc-message")!)).toBe("body: malformed gRPC-Web envelope");
    }
    expect(calls).toEqual([]);
  });

  it("refuses a body above 64 KiB (JSON or binary) before the service sees it; one just under goes through", async () => {
    const { handler, calls } = setup();
    const over = JSON.stringify({ phoneNumber: "x".repeat(64 * 1024) });
    const refused = await handler.fetch(post(LOOKUP, "application/json", over), values());
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: "resource_exhausted" });
    const binary = toBinary(LookupPhoneNumberRequestSchema, create(LookupPhoneNumberRequestSchema, { phoneNumber: "x".repeat(64 * 1024) }));
    expect(await (await handler.fetch(post(LOOKUP, "application/proto", binary), values())).json()).toMatchObject({ code: "resource_exhausted" });
    const under = JSON.stringify({ phoneNumber: "x".repeat(64 * 1024 - 100) });
    expect((await handler.fetch(post(LOOKUP, "application/json", under), values())).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it("maps our refusals to Connect codes with their details as metadata", async () => {
    const { handler } = setup();
    const notFound = await handler.fetch(post(ERASE, "application/json", JSON.stringify({ phoneNumber: "unknown" })), values());
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ code: "not_found", message: "phoneNumber: no such number" });
    expect([notFound.headers.get("x-verify-reason"), notFound.headers.get("x-verify-field"), notFound.headers.get("retry-after")]).toEqual(["not_found", "phoneNumber", "3"]);
    const limited = await handler.fetch(post(ERASE, "application/json", JSON.stringify({ phoneNumber: "limited" })), values());
    expect(await limited.json()).toMatchObject({ code: "resource_exhausted" });
    expect(limited.headers.get("x-verify-rule")).toBe("budget");
  });

  it("an unexpected error is internal, and its message stays out", async () => {
    const { handler } = setup();
    const response = await handler.fetch(post(ERASE, "application/json", JSON.stringify({ phoneNumber: "boom" })), values());
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ code: "internal", message: "internal error" });
    expect(text).not.toContain("secret");
  });

  it("an unimplemented RPC of a registered service answers unimplemented", async () => {
    const { handler } = setup();
    const response = await handler.fetch(post("/verify.v1.PhoneNumberService/AddListEntry", "application/json", "{}"), values());
    expect(await response.json()).toMatchObject({ code: "unimplemented" });
  });
});
