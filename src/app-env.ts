// The Hono environment every route file shares: bindings and the per-request values the app sets.
// Its own module so route files need not import app.ts (which imports them).
import type { Config } from "./config.ts";
import type { Verifier } from "./verifier.ts";

export type AppEnv = {
  Bindings: Env;
  Variables: { config: Config; verifier: Verifier };
};
