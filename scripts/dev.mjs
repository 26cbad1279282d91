// `npm run dev`: wrangler dev with the dev environment (console SMS provider, documented dev
// key). It works offline: wrangler's fetch of a real `request.cf` object from Cloudflare is off
// (CLOUDFLARE_CF_FETCH_ENABLED=false; the API does not read request.cf), so a machine without
// network prints no lookup errors. Flags after `--` reach wrangler (`npm run dev -- --port 9000`).
import { spawn } from "node:child_process";

const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false" };
const child = spawn("wrangler", ["dev", "--env", "dev", ...process.argv.slice(2)], { stdio: "inherit", env, shell: process.platform === "win32" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
