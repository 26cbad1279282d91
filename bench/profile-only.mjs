// Runs only the in-workerd cost profile (bench/profile.mjs), for measuring one change quickly:
// `npm exec -- node bench/profile-only.mjs` (Node 22 from the devDependency; REPEATS=5 for the full
// run's best of 5). Exits non-zero if any row fails.
import { startFakeTwilio, FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../test/fakes/fake-twilio.mjs";
import { createNumberSource } from "./numbers.mjs";
import { formatProfile, profileInWorkerd } from "./profile.mjs";

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
  const started = performance.now();
  const profile = await profileInWorkerd({ numbers: createNumberSource().take(2000), vars, repeats: Number(process.env.REPEATS ?? 3), progress: (op) => console.error(`  ${op} done`) });
  for (const line of formatProfile(profile)) console.log(line);
  console.log(`(workerd CPU µs per operation, best of ${process.env.REPEATS ?? 3}; ${((performance.now() - started) / 1000).toFixed(0)} s)`);
} finally {
  await fake.close?.();
}
