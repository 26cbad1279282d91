// Worker entry: the HTTP app and the Durable Object classes wrangler binds.
import { createApp } from "./app.ts";

export { DevOutbox } from "./objects/dev-outbox.ts";
export { IdempotencyKeys } from "./objects/idempotency-keys.ts";
export { Insights } from "./objects/insights.ts";
export { NumberLists } from "./objects/number-lists.ts";
export { PhoneVerification } from "./objects/phone-verification/phone-verification.ts";
export { ScopeCounter } from "./objects/scope-counter.ts";
export { ServiceRegistry } from "./objects/service-registry.ts";
export { TwilioSidIndex } from "./objects/sid-index.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
