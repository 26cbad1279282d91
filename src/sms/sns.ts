// Amazon SNS Publish straight to a phone number: POST {base}/ with a form body
// (Action=Publish, Version=2010-03-31, PhoneNumber, Message), SigV4-signed by aws4fetch.
// Answers are XML: <MessageId> on success, <Error><Code> on failure.
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
import { AwsClient } from "aws4fetch";
import { acceptedUnreadable, call, refused, refusedByStatus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export interface SnsSenderOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary credentials. */
  sessionToken?: string;
  region: string;
  /** Default https://sns.{region}.amazonaws.com */
  apiBase?: string;
  /** AWS.SNS.SMS.SenderID, where the destination country supports one. */
  senderId?: string;
  /** One-time codes are Transactional (higher delivery priority); default "Transactional". */
  smsType?: "Transactional" | "Promotional";
  timeoutMs?: number;
}

// Error codes from the Publish and Common Errors pages.
const SNS_ERRORS: Record<string, SmsFailureReason> = {
  InvalidParameter: "invalid_number", // PhoneNumber is the only per-request parameter
  InvalidParameterValue: "invalid_number",
  AuthorizationError: "auth_failed",
  InvalidClientTokenId: "auth_failed",
  SignatureDoesNotMatch: "auth_failed",
  AccessDenied: "auth_failed",
  ExpiredToken: "auth_failed",
  MissingAuthenticationToken: "auth_failed",
  Throttled: "rate_limited",
  Throttling: "rate_limited",
  ThrottlingException: "rate_limited",
};

// The response is a small, fixed XML shape; a regex reads it without an XML parser (Workers have none).
function xmlElement(xml: string, name: string): string {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? match[1]!.trim() : "";
}

export function createSnsSender(options: SnsSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.accessKeyId || !options.secretAccessKey) throw new Error("Amazon SNS needs SNS_ACCESS_KEY_ID and SNS_SECRET_ACCESS_KEY");
  if (!options.region) throw new Error("Amazon SNS needs SNS_REGION");
  const url = `${(options.apiBase ?? `https://sns.${options.region}.amazonaws.com`).replace(/\/+$/, "")}/`;
  const aws = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken: options.sessionToken,
    service: "sns",
    region: options.region,
  });
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "sns",
    async send(message) {
      const form = new URLSearchParams({ Action: "Publish", Version: "2010-03-31", PhoneNumber: message.to, Message: message.body });
      let index = 1;
      const attribute = (name: string, value: string): void => {
        form.set(`MessageAttributes.entry.${index}.Name`, name);
        form.set(`MessageAttributes.entry.${index}.Value.DataType`, "String");
        form.set(`MessageAttributes.entry.${index}.Value.StringValue`, value);
        index++;
      };
      attribute("AWS.SNS.SMS.SMSType", options.smsType ?? "Transactional");
      if (options.senderId) attribute("AWS.SNS.SMS.SenderID", options.senderId);
      // Signing only computes headers; the request still goes through the injected fetch.
      const request = await aws.sign(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: form.toString(),
      });
      const response = await call("sns", fetchFn, request, timeoutMs);
      const xml = await response.text().catch(() => "");
      if (response.ok) {
        const messageId = xmlElement(xml, "MessageId");
        if (!messageId) throw acceptedUnreadable("sns", response.status);
        return { messageId, provider: "sns" };
      }
      const code = xmlElement(xml, "Code");
      const reason = SNS_ERRORS[code];
      if (reason && response.status < 500) throw refused("sns", reason, { status: response.status, code });
      throw refusedByStatus("sns", response.status, code);
    },
  };
}
