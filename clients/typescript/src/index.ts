// @edge-verify/client: a typed client for edge-verify over Connect. Node ≥ 20, browsers, workerd.
export { createVerifyClient } from "./client.ts";
export type { CallOptions, CheckRequest, CheckResult, CheckStatus, StartRequest, Verification, VerificationStatus, VerifyClient, VerifyClientOptions } from "./client.ts";
export { VerifyClientError, type VerifyErrorCode } from "./errors.ts";
export type { RetryOptions } from "./retry.ts";
