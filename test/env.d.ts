// The Worker's default export as tests reach it through `exports` from "cloudflare:workers".
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher;
  }
}
