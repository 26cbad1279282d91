// The Go client's suite (npm run test:go runs it once provision.mjs has found or installed Go):
// clients/go/gen is current, the code is gofmt-clean, vets and builds, then `go test ./...` runs
// against the Worker (scripts/with-worker.mjs --sms=console: codes come from the dev outbox).
//
//   node scripts/test-go.mjs        all of it
//   node scripts/test-go.mjs test   only `go test ./...` against EDGE_VERIFY_URL (what with-worker runs)
//
// The go tool runs offline: no module proxy (the one dependency is Debian's source, go.mod's
// replace), no toolchain switch (Go 1.19 has none; newer ones are told to stay local). And without
// cgo: apt installs golang-go without its recommended gcc, and Go 1.19 would need one for net.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkGo } from "./generate-go.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const moduleDir = join(root, "clients/go");
export const GO_OFFLINE_ENV = { GOPROXY: "off", GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", GOTELEMETRY: "off", CGO_ENABLED: "0" };

function run(command, args, options = {}) {
  console.log(`test-go: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: moduleDir, stdio: "inherit", env: { ...process.env, ...GO_OFFLINE_ENV }, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
  return result;
}

if (process.argv[2] === "test") {
  if (!process.env.EDGE_VERIFY_URL) {
    console.error("test-go: EDGE_VERIFY_URL is not set; run `npm run test:go`, which starts the Worker");
    process.exit(2);
  }
  run("go", ["test", "-count=1", "-v", "./..."]);
  process.exit(0);
}

const generated = checkGo();
(generated.status === "drift" ? console.error : console.log)(`test-go: ${generated.message}`);
if (generated.status === "drift") process.exit(1);

const unformatted = run("gofmt", ["-l", "."], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" }).stdout.trim();
if (unformatted) {
  console.error(`test-go: not gofmt-clean (run gofmt -w in clients/go):\n${unformatted}`);
  process.exit(1);
}
run("go", ["vet", "./..."]);
// Compiles every test binary before the Worker starts (a cold build cache takes a while), so the
// run under with-worker's deadline is only the tests.
run("go", ["test", "-count=1", "-run", "^$", "./..."]);

const suite = spawnSync(process.execPath, [join(root, "scripts/with-worker.mjs"), "--sms=console", process.execPath, fileURLToPath(import.meta.url), "test"], {
  cwd: root,
  stdio: "inherit",
});
process.exit(suite.status ?? 1);
