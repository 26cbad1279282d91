// Starts the local fake Twilio API once for the whole run; workers reach it on loopback.
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with the benchmark
import { startFakeTwilio } from "./fakes/fake-twilio.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    fakeTwilioUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const fake = await startFakeTwilio();
  project.provide("fakeTwilioUrl", fake.url);
  return async () => {
    await fake.close();
  };
}
