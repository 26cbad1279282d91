// What the page says for each answer that is easy to get wrong: a limit blames what it counted
// (this number, this connection, numbers like it, the day's budget), and the last allowed wrong
// code already says the code is used up. `node --test` here once `npm run example` installed the
// client; scripts/examples.sh runs it against the client's source.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VerifyClientError } from "@edge-verify/client";
import { checkMessage, errorMessage } from "./messages.mjs";

const limit = (rule, field, retryAfterSeconds = 600) =>
  errorMessage(new VerifyClientError({ code: "resource_exhausted", message: `${field}: limit`, reason: "limit_reached", rule, field, retryAfterSeconds }));

describe("a limit on starts says what it counted", () => {
  it("per IP (velocity_ip, field clientIp): this connection or device, never this number", () => {
    const { text, retryAfterSeconds } = limit("velocity_ip", "clientIp");
    assert.equal(text, "Too many codes were requested from this connection or device. Try again in 10 min.");
    assert.equal(retryAfterSeconds, 600);
  });

  it("per number (sends_per_10_minutes, sends_per_day): this number", () => {
    assert.equal(limit("sends_per_10_minutes", "to").text, "Too many codes were sent to this number. Try again in 10 min.");
    assert.equal(limit("sends_per_day", "to", 7200).text, "Too many codes were sent to this number today. Try again in 2 h.");
  });

  it("range, country and the conversion guard: numbers like this one, not this number", () => {
    for (const rule of ["velocity_range", "conversion_guard"]) {
      assert.equal(limit(rule, "to", 1800).text, "We are not sending codes to numbers like this one right now. Try again in 30 min.");
    }
    assert.equal(limit("velocity_country", "to").text, "We are not sending codes to this country right now. Try again in 10 min.");
  });

  it("the daily SMS budget: the service, not the visitor", () => {
    assert.equal(limit("budget", "to", 36_000).text, "We cannot send more codes today. Try again in 10 h.");
  });

  it("a rule this app does not know yet falls back on the field, and never guesses 'this number'", () => {
    assert.match(limit("some_new_rule", "clientIp").text, /this connection or device/);
    const generic = limit("some_new_rule", "to").text;
    assert.doesNotMatch(generic, /this number/);
    assert.equal(generic, "Too many codes were requested just now. Try again in 10 min.");
  });
});

describe("a wrong code", () => {
  const answer = (status, checkAttempts, verificationStatus = "pending") => ({ status, verification: { status: verificationStatus, checkAttempts } });

  it("says how many attempts are left", () => {
    assert.equal(checkMessage(answer("invalid", 1), { maxCheckAttempts: 5 }), "That code is not right. 4 attempts left.");
    assert.equal(checkMessage(answer("invalid", 4), { maxCheckAttempts: 5 }), "That code is not right. 1 attempt left.");
  });

  it("the last allowed one says at once that the code is used up, not '0 attempts left'", () => {
    const used = "That code is not right, and that was the last try. Ask for a new code.";
    assert.equal(checkMessage(answer("invalid", 5, "max_attempts_reached"), { maxCheckAttempts: 5 }), used);
    // The service's own limit can be lower than the app's MAX_CHECK_ATTEMPTS: its status decides.
    assert.equal(checkMessage(answer("invalid", 3, "max_attempts_reached"), { maxCheckAttempts: 5 }), used);
    assert.equal(checkMessage(answer("max_attempts_reached", 5, "max_attempts_reached"), { maxCheckAttempts: 5 }), "Too many wrong codes for this one. Ask for a new code.");
  });

  it("an approved code has no words", () => {
    assert.equal(checkMessage(answer("approved", 0, "approved"), { maxCheckAttempts: 5 }), null);
  });
});
