// Where every Durable Object that holds personal data is reached: the one place that applies
// DO_JURISDICTION (data residency) and the one place that turns a verification id into an object
// id. Everything that touches numbers, verifications, lists, counters or idempotency records goes
// through here, so no call site can forget the jurisdiction or trust an id it was handed.
import { objectIdOf } from "../core/ids.ts";

/** The bindings of objects that hold personal data, all reached through namespaceOf. */
export type ObjectBinding = "PHONE_VERIFICATION" | "NUMBER_LISTS" | "SCOPE_COUNTER" | "SERVICE_REGISTRY" | "TWILIO_SIDS" | "INSIGHTS" | "IDEMPOTENCY_KEYS";

// Typed by wrangler's Env (src/worker-configuration.d.ts), so this module imports no object class.
type Bindings = Pick<Env, ObjectBinding> & { DO_JURISDICTION?: string; ENVIRONMENT?: string };

/**
 * The binding's namespace, restricted to DO_JURISDICTION when it is set. A restricted namespace
 * creates every object (by name or by id) inside that jurisdiction; an id carries its
 * jurisdiction, so a verification id still routes in one hop. loadConfig has validated the value.
 */
export function namespaceOf<K extends ObjectBinding>(env: object, binding: K): Bindings[K] {
  const all = env as unknown as Bindings;
  const namespace = all[binding];
  const jurisdiction = all.DO_JURISDICTION?.trim();
  // workerd (wrangler dev, Miniflare, the tests) does not implement jurisdictions and throws on
  // them; in local development the setting is validated by loadConfig but not applied.
  if (!jurisdiction || all.ENVIRONMENT === "development") return namespace;
  return namespace.jurisdiction(jurisdiction as DurableObjectJurisdiction) as Bindings[K];
}


/**
 * The number's object a verification id routes to, or null when the id is not one this
 * deployment could have issued: malformed, or well-formed with a Durable Object part that is not
 * an id of this namespace (idFromString throws on those). Callers answer null exactly as they
 * answer an unknown id, so a forged id learns nothing and never reaches an object.
 */
export function verificationObjectId(env: object, verificationId: string): DurableObjectId | null {
  const hex = objectIdOf(verificationId);
  if (!hex) return null;
  try {
    return namespaceOf(env, "PHONE_VERIFICATION").idFromString(hex);
  } catch {
    return null;
  }
}
