// Shared inputs for the core's unit tests.
import type { StartParams } from "../../src/core/verification.ts";

/** A plain SMS start for a US mobile number, 6 digits, 10 minutes. */
export const START_PARAMS: StartParams = {
  service: "default",
  to: "+14155552671",
  codeLength: 6,
  ttlSeconds: 600,
  countryCode: "US",
  lineType: "mobile",
  externalId: "",
  tags: {},
  locale: "en",
  risks: [],
  messageEncoding: "GSM-7",
  messageSegments: 1,
  serviceName: "Acme",
  channels: ["sms"],
  fallbackAfterSeconds: 60,
};
