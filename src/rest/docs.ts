// GET /openapi.json (the document) and GET /docs (the API reference: Swagger UI from npm, served
// from Workers Static Assets under /docs/swagger-ui/, so it works offline and outside the bundle).
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { fromAssets } from "../static-assets.ts";
import { openApiDocument } from "./openapi.ts";

/** Where scripts/build-assets.mjs puts swagger-ui-dist's files. */
export const RENDERER_PATH = "/docs/swagger-ui";

// Everything from our own origin: no CDN, no fonts, no inline script. Swagger UI sets inline
// styles and uses data: images in its stylesheet.
const DOCS_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-verify API reference</title>
<link rel="icon" type="image/png" href="${RENDERER_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="${RENDERER_PATH}/swagger-ui.css">
</head>
<body>
<div id="api-reference"></div>
<script src="${RENDERER_PATH}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script, so the CSP needs no 'unsafe-inline' for scripts.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#api-reference",
  deepLinking: true,
  validatorUrl: "none",
  tryItOutEnabled: false,
});
`;

export function docsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/openapi.json", (c) => c.json(openApiDocument(), 200, { "access-control-allow-origin": "*", "cache-control": "public, max-age=300" }));
  routes.get("/docs", (c) => c.html(PAGE, 200, DOCS_HEADERS));
  routes.get("/docs/init.js", (c) => c.body(INIT, 200, { ...DOCS_HEADERS, "content-type": "text/javascript; charset=utf-8" }));
  routes.get(`${RENDERER_PATH}/*`, fromAssets);
  return routes;
}
