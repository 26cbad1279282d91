// Worker entry: the HTTP app and the Durable Object classes wrangler binds.
import { createApp } from "./app.ts";

export { DevOutbox } from "./dev-outbox.ts";
export { IdempotencyKeys } from "./objects/idempotency-keys.ts";
export { Insights } from "./insights.ts";
export { NumberLists } from "./number-lists.ts";
export { PhoneVerification } from "./phone-verification.ts";
export { ScopeCounter } from "./scope-counter.ts";
export { ServiceRegistry } from "./service-registry.ts";
export { TwilioSidIndex } from "./compat/sid-index.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
