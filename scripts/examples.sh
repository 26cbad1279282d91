#!/usr/bin/env bash
# Runs every command of docs/examples.md against a running worker and checks what it answers.
# The text between a "# >>> name" line and the next "# <<<" line is exactly the code block that
# docs/examples.md marks <!-- example: name --> (test/clients/examples.test.ts keeps them equal).
# Run it as `npm run test:examples`, which starts the worker and the fake Twilio API.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${EDGE_VERIFY_URL:?run through: npm run test:examples}" "${FAKE_TWILIO_URL:?run through: npm run test:examples}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# What the reader sets by hand (docs/examples.md, "Setup"); a fresh number per run here.
BASE_URL=$EDGE_VERIFY_URL
API_KEY=${EDGE_VERIFY_API_KEY:-ev_dev_local_only_key}
TO="+1415$((RANDOM % 8 + 2))$(printf '%06d' $(((RANDOM * 32768 + RANDOM) % 1000000)))"

# The latest code sent to $TO, read off the fake Twilio API as the reader reads it off the terminal.
latest_code() {
  curl -sS "$FAKE_TWILIO_URL/_messages?to=${TO/+/%2B}" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).messages.at(-1);console.log(/\b(\d{4,10})\b/.exec(m.body)[1])})'
}
# The value at a dotted path of the JSON in $OUT/<name>.
json_at() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(process.argv[2].split(".").reduce((o,k)=>o?.[k],j))' "$OUT/$1" "$2"; }
expect() {
  local got
  got=$(json_at "$1" "$2")
  if [[ "$got" != "$3" ]]; then
    echo "examples: $1: $2 is '$got', want '$3'; the answer was:" >&2
    cat "$OUT/$1" >&2
    exit 1
  fi
  echo "ok  $1: $2 = $3"
}
expect_line() {
  if ! grep -qiE "$2" "$OUT/$1"; then
    echo "examples: $1: no line matches /$2/; the answer was:" >&2
    cat "$OUT/$1" >&2
    exit 1
  fi
  echo "ok  $1: /$2/"
}

{
# >>> buf-connect-start
npx buf curl --schema proto --protocol connect \
  -H "Authorization: Bearer $API_KEY" \
  -d "{\"to\": \"$TO\", \"serviceName\": \"Acme\"}" \
  "$BASE_URL/verify.v1.VerificationService/StartVerification"
# <<<
} >"$OUT/buf-connect-start"
expect buf-connect-start verification.status VERIFICATION_STATUS_PENDING
expect buf-connect-start verification.to "$TO"
CODE=$(latest_code)

{
# >>> buf-grpcweb-check
npx buf curl --schema proto --protocol grpcweb \
  -H "Authorization: Bearer $API_KEY" \
  -d "{\"to\": \"$TO\", \"code\": \"$CODE\"}" \
  "$BASE_URL/verify.v1.VerificationService/CheckVerification"
# <<<
} >"$OUT/buf-grpcweb-check"
expect buf-grpcweb-check status CHECK_STATUS_APPROVED

{
# >>> curl-connect-start
curl -sS "$BASE_URL/verify.v1.VerificationService/StartVerification" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "{\"to\": \"$TO\", \"codeLength\": 8}"
# <<<
} >"$OUT/curl-connect-start"
expect curl-connect-start verification.status VERIFICATION_STATUS_PENDING
ID=$(json_at curl-connect-start verification.id)
CODE=$(latest_code)

{
# >>> curl-connect-check
curl -sS "$BASE_URL/verify.v1.VerificationService/CheckVerification" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "{\"verificationId\": \"$ID\", \"code\": \"$CODE\"}"
# <<<
} >"$OUT/curl-connect-check"
expect curl-connect-check status CHECK_STATUS_APPROVED
expect curl-connect-check verification.id "$ID"

{
# >>> rest-start
curl -sS "$BASE_URL/v1/verifications" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -H "Idempotency-Key: signup-$TO" \
  -d "{\"to\": \"$TO\", \"serviceName\": \"Acme\"}"
# <<<
} >"$OUT/rest-start"
expect rest-start status pending
ID=$(json_at rest-start id)
CODE=$(latest_code)

{
# >>> rest-resend-too-soon
curl -sS -i "$BASE_URL/v1/verifications" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "{\"to\": \"$TO\"}"
# <<<
} >"$OUT/rest-resend-too-soon"
expect_line rest-resend-too-soon '^HTTP/1.1 429'
expect_line rest-resend-too-soon '^retry-after: [0-9]+'
expect_line rest-resend-too-soon '"rule":"resend_cooldown"'
# The refusing policy in the RateLimit field, none left, its t the Retry-After (README, Rate-limit headers).
expect_line rest-resend-too-soon '^ratelimit: "resend_cooldown";r=0;t=[0-9]+, "sends_per_10_minutes";r=[0-9]+;'

{
# >>> rest-check
curl -sS "$BASE_URL/v1/verifications/check" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "{\"to\": \"$TO\", \"code\": \"$CODE\"}"
# <<<
} >"$OUT/rest-check"
expect rest-check status approved
expect rest-check verification.id "$ID"

{
# >>> rest-get
curl -sS "$BASE_URL/v1/verifications/$ID" \
  -H "Authorization: Bearer $API_KEY"
# <<<
} >"$OUT/rest-get"
expect rest-get status approved

# Not a docs/examples.md block: the TypeScript client's README example, run in Node over real HTTP
# (Node 22 from the devDependencies; transform-types for the generated enums).
node --experimental-transform-types --no-warnings clients/typescript/example.ts >"$OUT/ts-example"
expect_line ts-example '^checked: approved$'
expect_line ts-example '^refused: resource_exhausted \(resend_too_soon\), retry in [0-9]+ s$'

# Nor this: the sign-up example's words for each answer (node:test, no browser), with
# @edge-verify/client resolved to the client's source instead of a packed install.
node --experimental-transform-types --no-warnings --import ./scripts/client-from-source.mjs --test examples/signup-2fa/messages.test.mjs

echo "examples: every command of docs/examples.md ran and answered as documented"
