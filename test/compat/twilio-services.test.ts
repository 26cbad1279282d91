// Twilio Verify v2 Services (`client.verify.v2.services`), driven by the official `twilio` package:
// create, fetch, list (paged), update and remove map onto edge-verify's services; the account's
// credential is the account sid and ADMIN_TOKEN, and a service's API key may only fetch its own.
import { exports } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { call, DEV_KEY, json, latestCode, messagesTo, uniqueNumber } from "../helpers.ts";
import { ACCOUNT_SID, ADMIN_TOKEN, client, failure, SERVICE_SID, seen, verifyV2 } from "./twilio-sdk.ts";

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const native = async (method: string, path: string, body?: unknown) => json(await call(method, path, body, ADMIN));

/** A new service's API key, made through the native admin API. */
async function keyFor(serviceSid: string): Promise<string> {
  return (await native("POST", `/v1/services/${serviceSid}/keys`, { name: "backend" })).secret;
}

describe("Twilio Services with the twilio client", () => {
  it("create → fetch → update → list → remove, mapped onto the service's settings", async () => {
    const v2 = verifyV2();
    const created = await v2.services.create({ friendlyName: "Acme Login", codeLength: 8, lookupEnabled: true, skipSmsToLandlines: false, customCodeEnabled: false });
    expect(seen.at(-1)).toMatchObject({ method: "post", url: "https://verify.twilio.com/v2/Services", contentType: "application/x-www-form-urlencoded" });
    expect(created.sid).toMatch(/^VA[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      accountSid: ACCOUNT_SID,
      friendlyName: "Acme Login",
      codeLength: 8,
      lookupEnabled: true,
      skipSmsToLandlines: false,
      psd2Enabled: false,
      customCodeEnabled: false,
      doNotShareWarningEnabled: false,
      dtmfInputRequired: false,
      ttsName: null,
      defaultTemplateSid: null,
      url: `http://edge-verify.test/v2/Services/${created.sid}`,
      links: { verifications: `http://edge-verify.test/v2/Services/${created.sid}/Verifications`, verification_checks: `http://edge-verify.test/v2/Services/${created.sid}/VerificationCheck` },
    });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(created.dateCreated.getTime() - Date.now())).toBeLessThan(60_000);

    // The same service, natively: the Twilio parameters became its settings.
    const stored = await native("GET", `/v1/services/${created.sid}`);
    expect(stored).toMatchObject({ friendlyName: "Acme Login", settings: { codeLength: 8, twilioLookup: true, ruleModes: { landline: "monitor" } } });

    // Another rule's mode survives SkipSmsToLandlines, which sets only the landline one.
    await native("PATCH", `/v1/services/${created.sid}`, { ruleModes: { landline: "monitor", voip: "off" } });
    const updated = await v2.services(created.sid).update({ friendlyName: "Acme", codeLength: 4, skipSmsToLandlines: true, lookupEnabled: false });
    expect(updated).toMatchObject({ sid: created.sid, friendlyName: "Acme", codeLength: 4, skipSmsToLandlines: true, lookupEnabled: false });
    expect((await native("GET", `/v1/services/${created.sid}`)).settings).toMatchObject({ codeLength: 4, twilioLookup: false, ruleModes: { landline: "enforce", voip: "off" } });
    expect(await v2.services(created.sid).fetch()).toMatchObject({ sid: created.sid, friendlyName: "Acme", codeLength: 4 });

    // Its verifications use the settings: a 4-digit code, signed with its name.
    const to = uniqueNumber();
    const key = await keyFor(created.sid);
    await client({ key, serviceSid: created.sid }).verifications.create({ to, channel: "sms" });
    expect(await latestCode(to)).toMatch(/^\d{4}$/);
    expect((await messagesTo(to))[0]!.body).toContain("Acme");

    const listed = await v2.services.list();
    expect(listed.map((s) => s.sid)).toEqual(expect.arrayContaining([SERVICE_SID, created.sid]));
    expect(listed.find((s) => s.sid === SERVICE_SID)).toMatchObject({ friendlyName: "Default service", codeLength: 6, accountSid: ACCOUNT_SID });

    expect(await v2.services(created.sid).remove()).toBe(true);
    expect(seen.at(-1)).toMatchObject({ method: "delete", url: `https://verify.twilio.com/v2/Services/${created.sid}` });
    const gone = await failure(v2.services(created.sid).fetch());
    expect(gone).toBeInstanceOf(twilio.RestException);
    expect(gone).toMatchObject({ status: 404, code: 20404, moreInfo: "https://www.twilio.com/docs/errors/20404" });
    expect(gone.message).toContain(`The requested resource /Services/${created.sid} was not found`);
    expect((await v2.services.list()).map((s) => s.sid)).not.toContain(created.sid);
    // Deleting it revoked its keys.
    expect(await failure(client({ key, serviceSid: created.sid }).verifications.create({ to: uniqueNumber(), channel: "sms" }))).toMatchObject({ status: 401, code: 20003 });
  });

  it("pages with PageSize and a PageToken cursor; the SDK follows next_page_url", async () => {
    const v2 = verifyV2();
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await v2.services.create({ friendlyName: `Paged ${i}` })).sid);
    const all = (await v2.services.list()).map((s) => s.sid);
    // Oldest first: the three, in creation order, after every earlier service.
    expect(all.slice(-3)).toEqual(made);

    const paged = await v2.services.list({ pageSize: 2 });
    expect(paged.map((s) => s.sid)).toEqual(all);
    const first = await v2.services.page({ pageSize: 2 });
    expect(first.instances).toHaveLength(2);
    expect(first.nextPageUrl).toMatch(/^http:\/\/edge-verify\.test\/v2\/Services\?PageSize=2&Page=1&PageToken=PA[0-9]{15}%3AVA[0-9a-f]{32}$/);
    const second = await first.nextPage();
    expect(second!.instances[0]!.sid).toBe(all[2]);
    const last = await v2.services.list({ pageSize: 1000 });
    expect(last).toHaveLength(all.length);

    const raw = async (query: string) => exports.default.fetch(new Request(`http://edge-verify.test/v2/Services${query}`, { headers: { authorization: `Basic ${btoa(`${ACCOUNT_SID}:${ADMIN_TOKEN}`)}` } }));
    const body = await json(await raw("?PageSize=1"));
    expect(body.meta).toEqual({
      page: 0,
      page_size: 1,
      first_page_url: "http://edge-verify.test/v2/Services?PageSize=1&Page=0",
      previous_page_url: null,
      url: "http://edge-verify.test/v2/Services?PageSize=1&Page=0",
      next_page_url: expect.stringMatching(/PageToken=PA/),
      key: "services",
    });
    for (const [query, parameter] of [["?PageSize=0", "PageSize"], ["?PageSize=1001", "PageSize"], ["?PageSize=x", "PageSize"], ["?Page=-1", "Page"], ["?PageToken=nope", "PageToken"]]) {
      const refused = await raw(query!);
      expect(refused.status, query).toBe(400);
      expect(await json(refused)).toMatchObject({ code: 60200, status: 400, message: expect.stringContaining(`\`${parameter}\``) });
    }
    for (const sid of made) await v2.services(sid).remove();
  });

  it("refuses what it cannot honour by parameter name, and creates nothing", async () => {
    const v2 = verifyV2();
    const before = (await v2.services.list()).length;
    const cases: [Record<string, unknown>, string][] = [
      [{ friendlyName: "A", customCodeEnabled: true }, "CustomCodeEnabled"],
      [{ friendlyName: "A", psd2Enabled: true }, "Psd2Enabled"],
      [{ friendlyName: "A", doNotShareWarningEnabled: true }, "DoNotShareWarningEnabled"],
      [{ friendlyName: "A", dtmfInputRequired: true }, "DtmfInputRequired"],
      [{ friendlyName: "A", verifyEventSubscriptionEnabled: true }, "VerifyEventSubscriptionEnabled"],
      [{ friendlyName: "A", ttsName: "Polly.Joanna" }, "TtsName"],
      [{ friendlyName: "A", defaultTemplateSid: "HJ" + "0".repeat(32) }, "DefaultTemplateSid"],
      [{ friendlyName: "A", "push.apnCredentialSid": "CR" + "0".repeat(32) }, "Push.ApnCredentialSid"],
      [{ friendlyName: "A", "totp.issuer": "Acme" }, "Totp.Issuer"],
      [{ friendlyName: "A", "whatsapp.from": "+14155238886" }, "Whatsapp.From"],
      [{ friendlyName: "A", codeLength: 3 }, "CodeLength"],
      [{ friendlyName: "A", codeLength: 11 }, "CodeLength"],
      [{ friendlyName: "evil.com" }, "FriendlyName"],
      [{ friendlyName: " " }, "FriendlyName"],
    ];
    for (const [params, parameter] of cases) {
      const error = await failure(v2.services.create(params as never));
      expect(error, parameter).toMatchObject({ status: 400, code: 60200 });
      expect(error.message, parameter).toMatch(new RegExp(`^Invalid parameter \`${parameter.replace(/\./g, "\\.")}\`: `));
    }
    // Not a boolean, and FriendlyName missing (the SDK requires it, so sent raw).
    const form = async (body: string) =>
      json(await exports.default.fetch(new Request("http://edge-verify.test/v2/Services", { method: "POST", body, headers: { authorization: `Basic ${btoa(`${ACCOUNT_SID}:${ADMIN_TOKEN}`)}`, "content-type": "application/x-www-form-urlencoded" } })));
    expect(await form("FriendlyName=A&LookupEnabled=yes")).toMatchObject({ code: 60200, message: "Invalid parameter `LookupEnabled`: must be true or false" });
    expect(await form("CodeLength=6")).toMatchObject({ code: 60200, message: expect.stringContaining("`FriendlyName`") });
    expect((await v2.services.list()).length).toBe(before);

    // An update refused changes nothing.
    const made = await v2.services.create({ friendlyName: "Keeps" });
    expect(await failure(v2.services(made.sid).update({ codeLength: 12 }))).toMatchObject({ status: 400, code: 60200 });
    expect(await v2.services(made.sid).fetch()).toMatchObject({ friendlyName: "Keeps", codeLength: 6 });
    await v2.services(made.sid).remove();
  });

  it("the built-in service can be fetched and updated, never removed; unknown sids are 20404", async () => {
    const v2 = verifyV2();
    expect(await v2.services(SERVICE_SID).fetch()).toMatchObject({ sid: SERVICE_SID, friendlyName: "Default service" });
    const removal = await failure(v2.services(SERVICE_SID).remove());
    expect(removal).toMatchObject({ status: 400, code: 60200 });
    expect(removal.message).toMatch(/^Invalid parameter `Sid`: the built-in service cannot be deleted/);
    for (const sid of ["VA" + "0".repeat(32), "VAnot-a-sid"]) {
      expect(await failure(v2.services(sid).fetch()), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(v2.services(sid).update({ friendlyName: "X" })), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(v2.services(sid).remove()), sid).toMatchObject({ status: 404, code: 20404 });
    }
  });

  it("account credentials only: a service's API key may fetch its own service and nothing else", async () => {
    const v2 = verifyV2();
    const own = await v2.services.create({ friendlyName: "Own" });
    const other = await v2.services.create({ friendlyName: "Other" });
    const key = await keyFor(own.sid);
    const asKey = verifyV2({ password: key });
    expect(await asKey.services(own.sid).fetch()).toMatchObject({ sid: own.sid, friendlyName: "Own" });
    expect(await failure(asKey.services(other.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    // The built-in service's API_KEYS key too: its own service, nothing account-wide.
    expect(await verifyV2({ password: DEV_KEY }).services(SERVICE_SID).fetch()).toMatchObject({ sid: SERVICE_SID });
    const count = (await v2.services.list()).length;
    for (const password of [key, DEV_KEY, "wrong-token-wrong-token-wrong"]) {
      const as = verifyV2({ password });
      for (const attempt of [as.services.list(), as.services.create({ friendlyName: "Nope" }), as.services(own.sid).update({ friendlyName: "Nope" }), as.services(own.sid).remove()]) {
        const error = await failure(attempt);
        expect(error).toBeInstanceOf(twilio.RestException);
        expect(error).toMatchObject({ status: 401, code: 20003, message: "Authenticate" });
      }
    }
    expect(await failure(verifyV2({ password: "wrong" }).services(own.sid).fetch())).toMatchObject({ status: 401, code: 20003 });
    // The admin token with another account sid is no credential either.
    expect(await failure(verifyV2({ accountSid: "AC" + "1".repeat(32) }).services.list())).toMatchObject({ status: 401, code: 20003 });
    expect((await v2.services.list()).length).toBe(count);
    expect(await v2.services(own.sid).fetch()).toMatchObject({ friendlyName: "Own" });
    await v2.services(own.sid).remove();
    await v2.services(other.sid).remove();
  });

  it("the account's credential also acts for any service on its Verifications, as a Twilio auth token does", async () => {
    const v2 = verifyV2();
    const made = await v2.services.create({ friendlyName: "Shop" });
    const to = uniqueNumber();
    const verification = await v2.services(made.sid).verifications.create({ to, channel: "sms" });
    expect(verification).toMatchObject({ serviceSid: made.sid, status: "pending" });
    const code = await latestCode(to);
    expect(await v2.services(made.sid).verificationChecks.create({ to, code })).toMatchObject({ status: "approved", valid: true });
    // It belongs to that service: the built-in service's key does not see it.
    expect(await failure(client().verifications(verification.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await failure(v2.services("VA" + "3".repeat(32)).verifications.create({ to: uniqueNumber(), channel: "sms" }))).toMatchObject({ status: 404, code: 20404 });
    await v2.services(made.sid).remove();
  });
});
