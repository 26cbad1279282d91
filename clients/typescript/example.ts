// The README's example as a program: start a verification, read the code, check it. CI runs it in
// Node against a worker on loopback (npm run test:examples), so the README's usage stays true:
//   node --experimental-transform-types clients/typescript/example.ts
// (EDGE_VERIFY_URL, EDGE_VERIFY_API_KEY; FAKE_TWILIO_URL lets it read the code itself.)
import { createVerifyClient, VerifyClientError } from "./src/index.ts";

const verify = createVerifyClient({
  baseUrl: process.env.EDGE_VERIFY_URL ?? "http://localhost:8787",
  apiKey: process.env.EDGE_VERIFY_API_KEY ?? "ev_dev_local_only_key",
});

const to = process.argv[2] ?? `+1415${2 + Math.floor(Math.random() * 8)}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
const verification = await verify.start({ to, serviceName: "Acme" });
console.log(`started ${verification.id}: ${verification.status}`);

const code = await readCode(to);
const { status } = await verify.check({ verificationId: verification.id, code });
console.log(`checked: ${status}`);

try {
  await verify.start({ to }); // a new code for an approved number is fine; two within 30 s are not
  await verify.start({ to });
} catch (error) {
  if (!(error instanceof VerifyClientError)) throw error;
  console.log(`refused: ${error.code} (${error.reason}), retry in ${error.retryAfterSeconds} s`);
}
if (status !== "approved") process.exit(1);

/** The code as the user would type it: from the fake Twilio API in CI, else from stdin. */
async function readCode(number: string): Promise<string> {
  const fake = process.env.FAKE_TWILIO_URL;
  if (fake) {
    const { messages } = (await (await fetch(`${fake}/_messages?to=${encodeURIComponent(number)}`)).json()) as { messages: { body: string }[] };
    return /\b(\d{4,10})\b/.exec(messages.at(-1)!.body)![1]!;
  }
  // Node's stdin, typed by hand: the repository compiles against the Workers types only.
  const stdin = (process as unknown as { stdin: AsyncIterable<Uint8Array> }).stdin;
  console.log(`the code sent to ${number} (npm run dev prints it):`);
  for await (const chunk of stdin) return new TextDecoder().decode(chunk).trim();
  throw new Error("no code given");
}
