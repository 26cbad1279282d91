// GET /: a small HTML index for people who open the Worker in a browser, JSON for API clients
// (chosen by Accept, with Vary: Accept). Every link is a route of this Worker that answers here:
// the playground and console only where they are served (local development).
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";

const HTML_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  vary: "accept",
};

interface Link {
  href: string;
  label: string;
  about: string;
}

function linksFor(development: boolean): Link[] {
  const links: Link[] = [
    { href: "/docs", label: "API reference", about: "every REST route, rendered from the OpenAPI document" },
    { href: "/openapi.json", label: "OpenAPI document", about: "OpenAPI 3.1, for code generators and API tools" },
  ];
  if (development) {
    links.push(
      { href: "/playground", label: "Playground", about: "send a code to the dev outbox and check it, with the dev key" },
      { href: "/console", label: "Console", about: "services, API keys, templates, rules and insights (admin token)" },
    );
  }
  return links;
}

function Page({ links }: { links: Link[] }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>edge-verify</title>
        <style>{"body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}code{font-size:.95em}li{margin:.4rem 0}"}</style>
      </head>
      <body>
        <main>
          <h1>edge-verify</h1>
          <p>Phone-number verification with SMS one-time codes. This Worker serves the API:</p>
          <ul>
            <li>
              REST: <code>POST /v1/verifications</code>, <code>POST /v1/verifications/check</code>
            </li>
            <li>
              Connect and gRPC-Web: <code>/verify.v1.VerificationService/</code>
            </li>
          </ul>
          <ul>
            {links.map((link) => (
              <li>
                <a href={link.href}>{link.label}</a>: {link.about}
              </li>
            ))}
          </ul>
        </main>
      </body>
    </html>
  );
}

/** True when the client asks for HTML ahead of JSON (a browser's navigation does; curl and SDKs don't). */
function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf("text/html");
  const json = accept.indexOf("application/json");
  return html !== -1 && (json === -1 || html < json);
}

export function homeRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", (c) => {
    const links = linksFor(c.env.ENVIRONMENT === "development");
    if (wantsHtml(c.req.header("accept"))) return c.html(`<!doctype html>${<Page links={links} />}`, 200, HTML_HEADERS);
    return c.json(
      {
        name: "edge-verify",
        rest: "/v1/verifications",
        connect: "/verify.v1.VerificationService/",
        ...Object.fromEntries(links.map((link) => [link.href === "/openapi.json" ? "openapi" : link.href.slice(1), link.href])),
      },
      200,
      { vary: "accept" },
    );
  });
  return routes;
}
