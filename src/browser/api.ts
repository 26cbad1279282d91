// The one fetch wrapper of both pages: this Worker's API with a bearer credential (the console's
// admin token, the playground's API key), a JSON body in, the JSON answer out. What a refusal
// means is each page's business; this only tells success from refusal.
import type { ErrorBody } from "./wire.ts";

export interface ApiCall {
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
  method: string;
  path: string;
  /** Sent as JSON; no body when undefined. */
  body?: unknown;
}

/** `data` is the parsed answer: null for a 204 or a body that is not JSON. */
export type ApiResult<T> =
  | { ok: true; status: number; data: T; retryAfter: string | null }
  | { ok: false; status: number; data: ErrorBody | null; retryAfter: string | null };

/** Rejects only when the Worker cannot be reached (fetch's own TypeError). */
export async function callApi<T>({ token, method, path, body }: ApiCall): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data: unknown = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  const retryAfter = response.headers.get("retry-after");
  // The one place the answer's shape is taken on trust: the Worker serving this page wrote it.
  return response.ok ? { ok: true, status: response.status, data: data as T, retryAfter } : { ok: false, status: response.status, data: data as ErrorBody | null, retryAfter };
}
