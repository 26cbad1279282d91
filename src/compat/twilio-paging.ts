// Twilio's list paging: `PageSize` (1-1000, default 50), `Page` (the client's page index) and an
// opaque `PageToken`, answered as `{<key>: [...], meta: {page, page_size, first_page_url,
// previous_page_url, url, next_page_url, key}}`. The token is a cursor (the last item's sort key),
// so items added while a client pages through do not shift later pages.
import type { Context } from "hono";
import { VerifyError } from "../core/errors.ts";

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 1000;
const CONTROL = new Set(["PageSize", "Page", "PageToken"]);
const CURSOR = /^[0-9A-Za-z:_-]{1,100}$/;

export interface PageRequest {
  pageSize: number;
  page: number;
  /** The sort key of the previous page's last item; items strictly after it form this page. */
  after: string | null;
}

/** An item and the key it sorts by (ascending); the key becomes the next page's token. */
export interface Keyed<T> {
  key: string;
  item: T;
}

function invalid(parameter: string, why: string): VerifyError {
  return new VerifyError("invalid_argument", `${parameter}: ${why}`, { field: parameter });
}

/** Reads and validates `PageSize`, `Page` and `PageToken` from the query. */
export function pageRequest(c: Context): PageRequest {
  const size = c.req.query("PageSize");
  const page = c.req.query("Page");
  const token = c.req.query("PageToken");
  const pageSize = size === undefined ? PAGE_SIZE_DEFAULT : Number(size);
  if (!/^\d+$/.test(size ?? "1") || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > PAGE_SIZE_MAX) {
    throw invalid("PageSize", `must be an integer from 1 to ${PAGE_SIZE_MAX}`);
  }
  if (page !== undefined && !/^\d{1,9}$/.test(page)) throw invalid("Page", "must be a whole number");
  if (token !== undefined && !(token.startsWith("PA") && CURSOR.test(token.slice(2)))) throw invalid("PageToken", "is not a token this API gave");
  return { pageSize, page: page === undefined ? 0 : Number(page), after: token === undefined ? null : token.slice(2) };
}

/**
 * One page of `items` (any order; sorted here by key) as Twilio's list body under `key`. The
 * request's other query parameters (the filters) are carried into every page URL.
 */
export function twilioPage<T, J>(c: Context, key: string, request: PageRequest, items: readonly Keyed<T>[], render: (item: T) => J) {
  const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const start = request.after === null ? 0 : sorted.findIndex((i) => i.key > request.after!);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = rest.slice(0, request.pageSize);
  const more = rest.length > request.pageSize;
  const url = new URL(c.req.url);
  const filters = [...url.searchParams].filter(([name]) => !CONTROL.has(name));
  const pageUrl = (index: number, token: string | null) => {
    const query = new URLSearchParams(filters);
    query.set("PageSize", String(request.pageSize));
    query.set("Page", String(index));
    if (token !== null) query.set("PageToken", `PA${token}`);
    return `${url.origin}${url.pathname}?${query}`;
  };
  return {
    [key]: page.map((i) => render(i.item)),
    meta: {
      page: request.page,
      page_size: request.pageSize,
      first_page_url: pageUrl(0, null),
      // Cursors run forward only; the SDKs page forward (list, each, nextPage).
      previous_page_url: null,
      url: pageUrl(request.page, request.after),
      next_page_url: more ? pageUrl(request.page + 1, page.at(-1)!.key) : null,
      key,
    },
  };
}
