// Fake Amazon SNS query API: POST / with a form body (Action=Publish, Version=2010-03-31,
// PhoneNumber, Message). The SigV4 signature is checked by recomputing it from the request.
// Answers are XML, as the real API's are.
import { AwsV4Signer } from "aws4fetch";
import { createFake, fakeId, isE164, LEAK_MARKER, type FakeApi, type RecordedRequest } from "./kit.ts";

export const SNS = { accessKeyId: "AKIAFAKEFAKEFAKE0000", secretAccessKey: "fake/sns/secret/key/0123456789abcdefghij", region: "eu-west-1" };

const xml = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/xml" } });
export const snsError = (status: number, code: string, message: string) =>
  xml(
    status,
    `<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message} ${LEAK_MARKER}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
  );

async function validSignature(r: RecordedRequest): Promise<boolean> {
  const authorization = r.headers.get("authorization") ?? "";
  const datetime = r.headers.get("x-amz-date");
  if (!datetime || !authorization.startsWith(`AWS4-HMAC-SHA256 Credential=${SNS.accessKeyId}/`)) return false;
  const expected = await new AwsV4Signer({
    method: r.method,
    url: r.url,
    headers: { "content-type": r.headers.get("content-type") ?? "" },
    body: r.text,
    accessKeyId: SNS.accessKeyId,
    secretAccessKey: SNS.secretAccessKey,
    service: "sns",
    region: SNS.region,
    datetime,
  }).sign();
  return expected.headers.get("authorization") === authorization;
}

export function fakeSns(baseUrl: string): FakeApi {
  return createFake(baseUrl, {
    path: "/",
    authorized: validSignature,
    decode: (r) => {
      if (!r.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) return null;
      const form = new URLSearchParams(r.text);
      const to = form.get("PhoneNumber");
      const body = form.get("Message");
      if (form.get("Action") !== "Publish" || form.get("Version") !== "2010-03-31" || !isE164(to) || !body) return null;
      return { to, body };
    },
    newMessageId: () => crypto.randomUUID(),
    accepted: (m) =>
      xml(
        200,
        `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${m.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${fakeId("req")}</RequestId></ResponseMetadata></PublishResponse>`,
      ),
    unauthorized: () => snsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match"),
    malformed: () => snsError(400, "MissingParameter", "A required parameter is missing"),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return snsError(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: not a valid phone number");
        case "auth_failed":
          return snsError(403, "InvalidClientTokenId", "The security token included in the request is invalid");
        case "rate_limited":
          // The query API reports throttling as HTTP 400 with a code: the code must decide.
          return snsError(400, "Throttling", "Rate exceeded");
        case "server_error":
          return snsError(500, "InternalError", "Internal failure");
      }
    },
  });
}
