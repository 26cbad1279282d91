// What the browser, Python and Go suites need beyond `npm ci`, found or provisioned by `npm test`
// itself, so the README's test command passes on a new machine as it comes (no Chromium, protoc,
// python3-protobuf or Go) and CI tests exactly what a new user runs.
//
//   node scripts/provision.mjs run browser -- <command…>   finds Chrome/Chromium (or installs
//   node scripts/provision.mjs run python -- <command…>    Debian's packages) and runs the command
//   node scripts/provision.mjs run go -- <command…>
//
// Linux as root with apt-get (this project's machines): whatever is missing is installed from
// Debian's packages, and a failed install fails the run — nothing is skipped there. Elsewhere (a
// macOS laptop, a user without root): an installed browser is used; if there is none the suite is
// skipped with a line that says what and why, and the rest of `npm test` goes on.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where Chrome or Chromium usually lives, in the order we prefer them. */
export const BROWSER_CANDIDATES = {
  linux: ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium"],
  darwin: [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
  ],
  win32: ["C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe"],
};

/** Debian packages that provide each need. */
export const DEBIAN_PACKAGES = {
  browser: ["chromium"],
  python: ["protobuf-compiler", "libprotobuf-dev", "python3-protobuf"],
  // Go 1.19, protoc-gen-go 1.28.1 (which pulls in protoc and the well-known types) and the
  // google.golang.org/protobuf source clients/go/go.mod points at: the Go suite downloads nothing.
  go: ["golang-go", "protoc-gen-go", "golang-google-protobuf-dev"],
};

/** protoc's well-known types (timestamp, field_mask), which the contract imports; libprotobuf-dev on Debian. */
export const WELL_KNOWN_TYPES = "/usr/include/google/protobuf/timestamp.proto";

/** Debian's copy of the Go protobuf runtime (golang-google-protobuf-dev), the `replace` target in clients/go/go.mod. */
export const GO_PROTOBUF_MODULE = "/usr/share/gocode/src/google.golang.org/protobuf/go.mod";

/**
 * The decision, without side effects: use what is there, install with apt, or skip (and why).
 * `machine` describes the host: platform, env, whether we are root, which paths and tools exist.
 */
export function plan(need, machine) {
  const { ready, what, elsewhere } = NEEDS[need];
  if (ready(machine)) return { action: "use", path: need === "browser" ? browserPath(machine) : null };
  if (machine.platform === "linux" && machine.root && machine.hasAptGet) return { action: "install", packages: DEBIAN_PACKAGES[need] };
  const how = machine.platform === "linux" ? `install ${DEBIAN_PACKAGES[need].join(" ")} (apt-get, as root) or run npm test as root` : elsewhere;
  return { action: "skip", reason: `${what}; ${how}` };
}

/** Per need: whether the machine has it, what is missing, and how to get it off Debian. */
const NEEDS = {
  browser: {
    ready: (machine) => browserPath(machine) !== null,
    what: "no Chrome or Chromium found (set CHROMIUM_PATH to one)",
    elsewhere: "install Google Chrome or Chromium, or set CHROMIUM_PATH",
  },
  python: {
    ready: pythonReady,
    what: "protoc (with its well-known types) and Python's protobuf module are not all installed",
    elsewhere: "install protoc and `pip install protobuf` (python3)",
  },
  go: {
    ready: goReady,
    what: `go, protoc-gen-go and Debian's Go protobuf source (${GO_PROTOBUF_MODULE}) are not all installed`,
    elsewhere: "install Go >= 1.19, then in clients/go drop go.mod's replace line and run go test ./... with the module proxy (clients/go/README.md)",
  },
};

function browserPath(machine) {
  const override = machine.env.CHROMIUM_PATH || machine.env.CHROME_PATH;
  if (override) return machine.exists(override) ? override : null;
  return (BROWSER_CANDIDATES[machine.platform] ?? []).find((path) => machine.exists(path)) ?? null;
}

function pythonReady(machine) {
  const wellKnownTypes = machine.platform !== "linux" || machine.exists(WELL_KNOWN_TYPES);
  return machine.hasCommand("protoc") && wellKnownTypes && machine.pythonHasProtobuf();
}

// No check of protoc-gen-go's version here: generate-go.mjs compares only when it matches.
function goReady(machine) {
  return machine.hasCommand("go") && machine.hasCommand("protoc-gen-go") && machine.hasCommand("protoc") && machine.exists(GO_PROTOBUF_MODULE);
}

/** This host, as `plan` sees it. */
export function thisMachine() {
  const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
  return {
    platform: process.platform,
    env: process.env,
    root: typeof process.getuid === "function" && process.getuid() === 0,
    hasAptGet: process.platform === "linux" && hasCommand("apt-get"),
    exists: existsSync,
    hasCommand,
    pythonHasProtobuf: () => spawnSync(PYTHON, ["-c", "import google.protobuf"], { stdio: "ignore" }).status === 0,
  };
}

/** The Python the client's tests run with: Debian's, where python3-protobuf installs. */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

function aptInstall(packages) {
  console.log(`provision: installing ${packages.join(", ")} from Debian's packages (apt-get)`);
  const run = (args) => execFileSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run(["update", "-qq"]);
  run(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
}

/** Finds or installs what `need` wants; returns the env to run with, or null with the skip reason printed. */
export function provision(need) {
  let decision = plan(need, thisMachine());
  if (decision.action === "install") {
    aptInstall(decision.packages);
    decision = plan(need, thisMachine());
    if (decision.action !== "use") throw new Error(`provision: ${need} is still missing after installing ${DEBIAN_PACKAGES[need].join(", ")}`);
  }
  if (decision.action === "skip") {
    console.log(`\nSKIPPED the ${need} suite: ${decision.reason}.\n`);
    return null;
  }
  if (need === "browser") return { CHROMIUM_PATH: decision.path };
  return need === "python" ? { EDGE_VERIFY_PYTHON: PYTHON } : {};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [verb, need, separator, ...command] = process.argv.slice(2);
  if (verb !== "run" || !(need in DEBIAN_PACKAGES) || separator !== "--" || command.length === 0) {
    console.error("usage: node scripts/provision.mjs run <browser|python|go> -- <command…>");
    process.exit(2);
  }
  const env = provision(need);
  if (env === null) process.exit(0);
  const result = spawnSync(command[0], command.slice(1), { stdio: "inherit", env: { ...process.env, ...env } });
  process.exit(result.status ?? 1);
}
