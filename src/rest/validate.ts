// Validation against the document's schemas with @cfworker/json-schema, which interprets schemas
// instead of compiling them with `new Function` (refused by workerd, so ajv cannot run here).
import { Validator, type OutputUnit } from "@cfworker/json-schema";
import { invalidArgument } from "../core/errors.ts";
import { log } from "../log.ts";
import { COMPONENTS, type SchemaName } from "./schemas.ts";

// The components are registered under this base so "#/components/schemas/X" references inside them
// resolve exactly as they do inside /openapi.json. Never fetched: the name only keys a lookup table.
const BASE = "https://schemas.edge-verify.invalid/";

const validators = new Map<SchemaName, Validator>();

/** A validator for one named schema; built once per isolate. */
export function validatorFor(name: SchemaName): Validator {
  let validator = validators.get(name);
  if (!validator) {
    validator = new Validator({ $ref: `${BASE}#/components/schemas/${name}` }, "2020-12", false);
    // A copy: the validator annotates what it dereferences, and /openapi.json must stay clean.
    validator.addSchema(structuredClone({ components: { schemas: COMPONENTS } }), BASE);
    validators.set(name, validator);
  }
  return validator;
}

/** The most specific failure: the deepest instance location, then the deepest keyword. */
export function firstError(errors: readonly OutputUnit[]): OutputUnit | undefined {
  const depth = (u: OutputUnit) => u.instanceLocation.split("/").length * 1000 + u.keywordLocation.split("/").length;
  return [...errors].sort((a, b) => depth(b) - depth(a))[0];
}

/** `#/tags/a~1b` → `tags.a/b`; the whole body is `body`. */
export function fieldOf(instanceLocation: string): string {
  const parts = instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts.length === 0) return "body";
  return parts.map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~")).join(".");
}

/**
 * Refuses a body its schema refuses. The words are the semantic validator's (`semantic` throws the
 * field-named `invalid_argument` clients already rely on); only a body the schema refuses and the
 * semantic validator would accept gets the schema's own message, and is logged as drift.
 */
export function checkBody(name: SchemaName, body: unknown, semantic: (body: unknown) => unknown): void {
  const result = validatorFor(name).validate(body);
  if (result.valid) return;
  semantic(body);
  const error = firstError(result.errors);
  const field = error ? fieldOf(error.instanceLocation) : "body";
  log("warn", "schema.drift", { schema: name, field, keyword: error?.keyword ?? "" });
  throw invalidArgument(field, `does not match the ${name} schema (${error?.error ?? "invalid"})`);
}
