import { describe, expect, it } from "vitest";
import { createSnsSender } from "../../src/sms/sns.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { fakeSns, SNS } from "./fakes/sns.ts";

runSenderContract({
  name: "sns",
  create: (apiBase, fetchFn, timeoutMs) => createSnsSender({ ...SNS, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) =>
    createSnsSender({ ...SNS, secretAccessKey: "not/the/right/secret/key/0123456789abcd", apiBase, timeoutMs }, fetchFn),
  fake: fakeSns,
});

describe("sns quirks", () => {
  it("defaults to the region's endpoint and marks one-time codes Transactional", async () => {
    const fake = fakeSns(`https://sns.${SNS.region}.amazonaws.com`);
    await createSnsSender({ ...SNS, senderId: "Acme" }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    const request = fake.requests[0]!;
    expect(request.url).toBe(`https://sns.${SNS.region}.amazonaws.com/`);
    expect(request.headers.get("authorization")).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${SNS.accessKeyId}/\\d{8}/${SNS.region}/sns/aws4_request, `));
    const form = new URLSearchParams(request.text);
    expect(form.get("MessageAttributes.entry.1.Name")).toBe("AWS.SNS.SMS.SMSType");
    expect(form.get("MessageAttributes.entry.1.Value.StringValue")).toBe("Transactional");
    expect(form.get("MessageAttributes.entry.2.Name")).toBe("AWS.SNS.SMS.SenderID");
    expect(form.get("MessageAttributes.entry.2.Value.StringValue")).toBe("Acme");
    expect(fake.sent).toHaveLength(1);
  });
});
