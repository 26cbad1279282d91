// Where a request's CPU goes, measured in Node (same V8 as workerd): workerd freezes its clocks
// during execution (a Spectre mitigation), so in-Worker timers cannot time a code path.
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { root } from "./workers.mjs";

/**
 * The generated schemas for plain Node: enums need a transform, not just type stripping, and the
 * bare imports are pinned to this repo's node_modules so the file can live in a temp dir.
 */
export async function loadSchemas() {
  let js = stripTypeScriptTypes(readFileSync(join(root, "src", "gen", "verify", "v1", "verification_pb.ts"), "utf8"), { mode: "transform" });
  js = js.replace(/from "(@bufbuild\/protobuf[^"]*)"/g, (_, spec) => `from "${import.meta.resolve(spec)}"`);
  const file = join(mkdtempSync(join(tmpdir(), "edge-verify-bench-pb-")), "verification_pb.mjs");
  writeFileSync(file, js);
  return import(file);
}

async function timeIt(iterations, fn) {
  for (let i = 0; i < Math.min(200, iterations); i++) await fn(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await fn(i);
  return ((performance.now() - started) * 1000) / iterations;
}

/** Microseconds per operation for the pieces of a start and a check. */
export async function profileInNode({ numbers, codeSecret }) {
  const pb = await loadSchemas();
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(codeSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const id = "ve_" + "x".repeat(61);
  const verification = create(pb.VerificationSchema, {
    id,
    to: numbers[0],
    channel: pb.Channel.SMS,
    status: pb.VerificationStatus.PENDING,
    createTime: timestampFromMs(Date.now()),
    updateTime: timestampFromMs(Date.now()),
    expireTime: timestampFromMs(Date.now()),
    sendAttempts: 1,
    messageId: "SM" + "0".repeat(32),
    lookup: { countryCode: "US", lineType: "fixed_line_or_mobile" },
  });
  const response = create(pb.StartVerificationResponseSchema, { verification });
  return {
    "phone parse+isValid+getType (max)": await timeIt(numbers.length, (i) => {
      const parsed = parsePhoneNumberWithError(numbers[i % numbers.length]);
      parsed.isValid();
      parsed.getType();
    }),
    "HMAC-SHA256 sign (code hash)": await timeIt(5000, (i) => crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}\u0000${String(i).padStart(6, "0")}`))),
    "SHA-256 digest (API key auth)": await timeIt(5000, () => crypto.subtle.digest("SHA-256", new TextEncoder().encode("ev_bench_0123456789abcdef"))),
    "protobuf toBinary(StartVerificationResponse)": await timeIt(5000, () => toBinary(pb.StartVerificationResponseSchema, response)),
    "protobuf toJson+stringify (Connect JSON)": await timeIt(5000, () => JSON.stringify(toJson(pb.StartVerificationResponseSchema, response))),
  };
}
