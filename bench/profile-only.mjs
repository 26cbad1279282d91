// Runs only the in-workerd cost profile (bench/profile.mjs), for measuring one change quickly:
// `npx node bench/profile-only.mjs` (Node 22 from the devDependency; REPEATS=5 for the full run's best of 5).
import { startFakeTwilio, FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../test/fakes/fake-twilio.mjs";
import { createNumberSource } from "./numbers.mjs";
import { profileInWorkerd } from "./profile.mjs";

const fake = await startFakeTwilio({ record: false });
try {
  const vars = {
    ENVIRONMENT: "production",
    API_KEYS: "ev_bench_0123456789abcdef",
    CODE_SECRET: "bench-code-secret-0123456789abcdef-not-for-production",
    SMS_PROVIDER: "twilio",
    TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
    TWILIO_FROM: "+15005550006",
    TWILIO_API_BASE: fake.url,
    RETENTION_DAYS: "7",
  };
  const result = await profileInWorkerd({ numbers: createNumberSource().take(2000), vars, repeats: Number(process.env.REPEATS ?? 3) });
  for (const [name, value] of Object.entries(result)) console.log(`${name.padEnd(32)} ${value.toFixed(1).padStart(8)} µs`);
} finally {
  await fake.close?.();
}
