// Twilio Verify v2 Verification Attempts and their Summary (`client.verify.v2.verificationAttempts`,
// `verificationAttemptsSummary()`), driven by the official `twilio` package: one attempt per
// message, from the verifications the console keeps; filters, paging, fetch by sid, and the
// account's credential.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verificationSid } from "../../src/compat/sids.ts";
import { call, DEV_KEY, json, latestCode, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";
import { ACCOUNT_SID, ADMIN_TOKEN, client, failure, seen, verifyV2 } from "./twilio-sdk.ts";

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const masked = (e164: string) => `${e164.slice(0, 5)}****${e164.slice(-3)}`;

/**
 * A new service with: one verification approved (1 attempt), one sent twice and never approved
 * (2 attempts), one wrong code (1 attempt), and a test number's (no attempt: nothing was sent).
 */
async function serviceWithTraffic() {
  const testNumber = uniqueNumber();
  const created = await json(await call("POST", "/v1/services", { friendlyName: "Attempts", testNumbers: { [testNumber]: "123456" } }, ADMIN));
  const key = (await json(await call("POST", `/v1/services/${created.id}/keys`, { name: "backend" }, ADMIN))).secret as string;
  const service = client({ key, serviceSid: created.id });
  const [approved, resent, wrong] = [uniqueNumber(), uniqueNumber(), uniqueNumber()];
  const first = await service.verifications.create({ to: approved, channel: "sms" });
  expect((await service.verificationChecks.create({ to: approved, code: await latestCode(approved) })).status).toBe("approved");
  const second = await service.verifications.create({ to: resent, channel: "sms" });
  await timeTravel(resent, 31_000, created.id);
  expect((await service.verifications.create({ to: resent, channel: "sms" })).sendCodeAttempts).toHaveLength(2);
  const third = await service.verifications.create({ to: wrong, channel: "sms" });
  expect((await service.verificationChecks.create({ to: wrong, code: wrongCode(await latestCode(wrong)) })).status).toBe("pending");
  await service.verifications.create({ to: testNumber, channel: "sms" });
  return { sid: created.id as string, key, numbers: { approved, resent, wrong, testNumber }, verifications: { approved: first.sid, resent: second.sid, wrong: third.sid } };
}

describe("Twilio Verification Attempts with the twilio client", () => {
  it("lists one attempt per message, newest first, with Twilio's fields; fetches each by sid", async () => {
    const traffic = await serviceWithTraffic();
    const v2 = verifyV2();
    const list = () => v2.verificationAttempts.list({ verifyServiceSid: traffic.sid });
    // Insights arrive in report batches, a moment after the requests.
    await expect.poll(async () => (await list()).map((a) => `${a.verificationSid}:${a.conversionStatus}`).sort(), { timeout: 5_000 }).toEqual(
      [
        `${traffic.verifications.approved}:converted`,
        `${traffic.verifications.resent}:unconverted`,
        `${traffic.verifications.resent}:unconverted`,
        `${traffic.verifications.wrong}:unconverted`,
      ].sort(),
    );
    expect(seen.at(-1)!.url).toMatch(/^https:\/\/verify\.twilio\.com\/v2\/Attempts\?VerifyServiceSid=VA/);
    const attempts = await list();
    for (const attempt of attempts) {
      expect(attempt.sid).toMatch(/^VL[0-9a-f]{32}$/);
      expect(attempt).toMatchObject({ accountSid: ACCOUNT_SID, serviceSid: traffic.sid, channel: "sms", price: null, url: `http://edge-verify.test/v2/Attempts/${attempt.sid}` });
      expect(attempt.dateCreated).toBeInstanceOf(Date);
      // Masked: the number is not given in full unless the request named it.
      expect(Object.values(traffic.numbers).map(masked)).toContain(attempt.channelData.to);
    }
    expect(new Set(attempts.map((a) => a.sid)).size).toBe(4);
    const created = attempts.map((a) => a.dateCreated.getTime());
    expect(created).toEqual([...created].sort((x, y) => y - x));
    // The resent verification's two attempts: its first message 31 s before the second.
    const resent = attempts.filter((a) => a.verificationSid === traffic.verifications.resent).map((a) => a.dateCreated.getTime());
    expect(resent[0]! - resent[1]!).toBeGreaterThanOrEqual(30_000);
    // The same sids the verification resources list in send_code_attempts.
    const sendAttempts = (await client({ key: traffic.key, serviceSid: traffic.sid }).verifications(traffic.verifications.resent).fetch()).sendCodeAttempts as { attempt_sid: string }[];
    expect(attempts.filter((a) => a.verificationSid === traffic.verifications.resent).map((a) => a.sid).sort()).toEqual(sendAttempts.map((s) => s.attempt_sid).sort());

    for (const attempt of attempts) {
      const fetched = await v2.verificationAttempts(attempt.sid).fetch();
      expect(seen.at(-1)).toMatchObject({ method: "get", url: `https://verify.twilio.com/v2/Attempts/${attempt.sid}` });
      expect(fetched.toJSON()).toEqual(attempt.toJSON());
    }
    for (const sid of ["VL" + "0".repeat(32), "VLnope"]) {
      expect(await failure(v2.verificationAttempts(sid).fetch()), sid).toMatchObject({ status: 404, code: 20404 });
    }
    expect(JSON.stringify(attempts.map((a) => a.toJSON()))).not.toContain(traffic.numbers.approved);
  });

  it("filters by number (exact, shown in full), verification, status, country, channel and time; pages", async () => {
    const traffic = await serviceWithTraffic();
    const v2 = verifyV2();
    const base = { verifyServiceSid: traffic.sid };
    await expect.poll(async () => (await v2.verificationAttempts.list(base)).length, { timeout: 5_000 }).toBe(4);

    const byNumber = await v2.verificationAttempts.list({ ...base, "channelData.to": traffic.numbers.resent });
    expect(byNumber.map((a) => [a.verificationSid, a.channelData.to])).toEqual([
      [traffic.verifications.resent, traffic.numbers.resent],
      [traffic.verifications.resent, traffic.numbers.resent],
    ]);
    expect(await v2.verificationAttempts.list({ "channelData.to": traffic.numbers.testNumber })).toEqual([]);
    expect((await v2.verificationAttempts.list({ ...base, verificationSid: traffic.verifications.wrong })).map((a) => a.verificationSid)).toEqual([traffic.verifications.wrong]);
    expect((await v2.verificationAttempts.list({ ...base, status: "converted" })).map((a) => a.verificationSid)).toEqual([traffic.verifications.approved]);
    expect(await v2.verificationAttempts.list({ ...base, status: "unconverted" })).toHaveLength(3);
    expect(await v2.verificationAttempts.list({ ...base, country: "US", channel: "sms" })).toHaveLength(4);
    expect(await v2.verificationAttempts.list({ ...base, country: "GB" })).toEqual([]);
    expect(await v2.verificationAttempts.list({ ...base, channel: "whatsapp" })).toEqual([]);
    const now = Date.now();
    expect(await v2.verificationAttempts.list({ ...base, dateCreatedAfter: new Date(now + 60_000) })).toEqual([]);
    expect(await v2.verificationAttempts.list({ ...base, dateCreatedBefore: new Date(now - 20_000) })).toHaveLength(1); // the resent one's first message
    expect(await v2.verificationAttempts.list({ ...base, dateCreatedAfter: new Date(now - 20_000), dateCreatedBefore: new Date(now + 1_000) })).toHaveLength(3);
    // Every service without the filter; an unknown one has none.
    expect((await v2.verificationAttempts.list({ "channelData.to": traffic.numbers.approved })).map((a) => a.serviceSid)).toEqual([traffic.sid]);
    expect(await v2.verificationAttempts.list({ verifyServiceSid: "VA" + "0".repeat(32) })).toEqual([]);

    // Paged one by one, the SDK follows next_page_url to the same four.
    const all = (await v2.verificationAttempts.list(base)).map((a) => a.sid);
    expect((await v2.verificationAttempts.list({ ...base, pageSize: 1 })).map((a) => a.sid)).toEqual(all);
    const page = await v2.verificationAttempts.page({ ...base, pageSize: 3 });
    expect(page.instances.map((a) => a.sid)).toEqual(all.slice(0, 3));
    expect(page.nextPageUrl).toContain(`VerifyServiceSid=${traffic.sid}`);
    expect((await page.nextPage())!.instances.map((a) => a.sid)).toEqual(all.slice(3));
  });

  it("summarizes attempts: totals, conversion rate, filters", async () => {
    const traffic = await serviceWithTraffic();
    const v2 = verifyV2();
    const summary = (params: Record<string, unknown> = {}) => v2.verificationAttemptsSummary().fetch({ verifyServiceSid: traffic.sid, ...params });
    await expect.poll(async () => (await summary()).totalAttempts, { timeout: 5_000 }).toBe(4);
    expect(seen.at(-1)!.url).toMatch(/^https:\/\/verify\.twilio\.com\/v2\/Attempts\/Summary\?VerifyServiceSid=VA/);
    expect(await summary()).toMatchObject({ totalAttempts: 4, totalConverted: 1, totalUnconverted: 3, conversionRatePercentage: "25", url: "http://edge-verify.test/v2/Attempts/Summary" });
    expect(await summary({ country: "US", channel: "sms", destinationPrefix: "+1" })).toMatchObject({ totalAttempts: 4, totalConverted: 1 });
    expect(await summary({ destinationPrefix: traffic.numbers.approved.slice(0, 5) })).toMatchObject({ totalConverted: 1 });
    expect(await summary({ destinationPrefix: "+44" })).toMatchObject({ totalAttempts: 0, totalConverted: 0, totalUnconverted: 0, conversionRatePercentage: null });
    expect(await summary({ dateCreatedAfter: new Date(Date.now() + 60_000) })).toMatchObject({ totalAttempts: 0 });
    expect(await summary({ verifyServiceSid: "VA" + "0".repeat(32) })).toMatchObject({ totalAttempts: 0 });
  });

  it("refuses malformed filters by parameter name", async () => {
    const v2 = verifyV2();
    const cases: [Record<string, unknown>, string][] = [
      [{ channel: "pigeon" }, "Channel"],
      [{ status: "maybe" }, "Status"],
      [{ country: "USA" }, "Country"],
      [{ verifyServiceSid: "VA123" }, "VerifyServiceSid"],
      [{ verificationSid: "VE123" }, "VerificationSid"],
      [{ "channelData.to": "+1555" }, "ChannelData.To"],
      [{ dateCreatedAfter: "yesterday" }, "DateCreatedAfter"],
      [{ pageSize: 1001 }, "PageSize"],
    ];
    for (const [params, parameter] of cases) {
      const error = await failure(v2.verificationAttempts.page(params as never));
      expect(error, parameter).toMatchObject({ status: 400, code: 60200 });
      expect(error.message).toMatch(new RegExp(`^Invalid parameter \`${parameter.replace(/\./g, "\\.")}\`: `));
    }
    const prefix = await failure(v2.verificationAttemptsSummary().fetch({ destinationPrefix: "+14155" }));
    expect(prefix).toMatchObject({ status: 400, code: 60200 });
    expect(prefix.message).toMatch(/^Invalid parameter `DestinationPrefix`: must be \+ and 1 to 4 digits/);
    expect(await failure(v2.verificationAttemptsSummary().fetch({ dateCreatedBefore: "2026-13-01" as never }))).toMatchObject({ status: 400, code: 60200 });
  });

  it("account credentials only: API keys are refused (20003)", async () => {
    const created = await json(await call("POST", "/v1/services", { friendlyName: "Keys" }, ADMIN));
    const key = (await json(await call("POST", `/v1/services/${created.id}/keys`, { name: "backend" }, ADMIN))).secret as string;
    for (const password of [key, DEV_KEY, "wrong-token-wrong-token-wrong"]) {
      const as = verifyV2({ password });
      for (const attempt of [as.verificationAttempts.list(), as.verificationAttempts("VL" + "0".repeat(32)).fetch(), as.verificationAttemptsSummary().fetch()]) {
        expect(await failure(attempt)).toMatchObject({ status: 401, code: 20003, message: "Authenticate" });
      }
    }
    const raw = await exports.default.fetch(new Request("http://edge-verify.test/v2/Attempts/Summary"));
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toMatch(/^Basic /);
  });
});
