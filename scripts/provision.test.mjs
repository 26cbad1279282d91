// The provisioning decisions (scripts/provision.mjs), on described machines: no side effects.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEBIAN_PACKAGES, GO_PROTOBUF_MODULE, plan } from "./provision.mjs";

function machine(overrides = {}) {
  const paths = new Set(overrides.paths ?? []);
  const commands = new Set(overrides.commands ?? []);
  return {
    platform: "linux",
    env: {},
    root: true,
    hasAptGet: true,
    exists: (path) => paths.has(path),
    hasCommand: (name) => commands.has(name),
    pythonHasProtobuf: () => overrides.protobuf ?? false,
    ...overrides,
  };
}

test("an installed Chromium is used, Debian's first", () => {
  assert.deepEqual(plan("browser", machine({ paths: ["/usr/bin/google-chrome", "/usr/bin/chromium"] })), { action: "use", path: "/usr/bin/chromium" });
  assert.deepEqual(plan("browser", machine({ paths: ["/usr/bin/google-chrome"] })), { action: "use", path: "/usr/bin/google-chrome" });
});

test("CHROMIUM_PATH (or CHROME_PATH) wins, and must exist", () => {
  const m = machine({ paths: ["/usr/bin/chromium", "/opt/chrome/chrome"], env: { CHROMIUM_PATH: "/opt/chrome/chrome" } });
  assert.deepEqual(plan("browser", m), { action: "use", path: "/opt/chrome/chrome" });
  assert.equal(plan("browser", machine({ paths: ["/usr/bin/chromium"], env: { CHROME_PATH: "/nope" } })).action, "install");
});

test("a new Linux machine as root installs Debian's packages: nothing is skipped", () => {
  assert.deepEqual(plan("browser", machine()), { action: "install", packages: DEBIAN_PACKAGES.browser });
  assert.deepEqual(plan("python", machine()), { action: "install", packages: ["protobuf-compiler", "libprotobuf-dev", "python3-protobuf"] });
  // protoc alone is not enough: its well-known types and the runtime module are needed too.
  assert.equal(plan("python", machine({ commands: ["protoc"] })).action, "install");
  assert.equal(plan("python", machine({ commands: ["protoc"], protobuf: true })).action, "install");
  const ready = machine({ commands: ["protoc"], protobuf: true, paths: ["/usr/include/google/protobuf/timestamp.proto"] });
  assert.deepEqual(plan("python", ready), { action: "use", path: null });
});

test("a macOS laptop uses an installed Chrome, or says plainly what it skipped and why", () => {
  const chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
  assert.deepEqual(plan("browser", machine({ platform: "darwin", root: false, hasAptGet: false, paths: [chrome] })), { action: "use", path: chrome });
  const none = plan("browser", machine({ platform: "darwin", root: false, hasAptGet: false }));
  assert.equal(none.action, "skip");
  assert.match(none.reason, /no Chrome or Chromium found.*install Google Chrome or Chromium, or set CHROMIUM_PATH/);
});

test("Linux without root (or without apt-get) skips and says how to provide it", () => {
  const skipped = plan("python", machine({ root: false }));
  assert.equal(skipped.action, "skip");
  assert.match(skipped.reason, /protoc \(with its well-known types\) and Python's protobuf module.*protobuf-compiler libprotobuf-dev python3-protobuf/);
  assert.equal(plan("browser", machine({ hasAptGet: false })).action, "skip");
});

test("Go: a new Debian machine as root installs Go, protoc-gen-go and the protobuf source; nothing is skipped", () => {
  assert.deepEqual(plan("go", machine()), { action: "install", packages: ["golang-go", "protoc-gen-go", "golang-google-protobuf-dev"] });
  // The toolchain alone is not enough: the generator, protoc and the source go.mod points at are needed too.
  assert.equal(plan("go", machine({ commands: ["go"] })).action, "install");
  assert.equal(plan("go", machine({ commands: ["go", "protoc-gen-go", "protoc"] })).action, "install");
  assert.equal(plan("go", machine({ commands: ["go", "protoc"], paths: [GO_PROTOBUF_MODULE] })).action, "install");
  const ready = machine({ commands: ["go", "protoc-gen-go", "protoc"], paths: [GO_PROTOBUF_MODULE] });
  assert.deepEqual(plan("go", ready), { action: "use", path: null });
});

test("Go without root, or off Debian, skips and says how to get it", () => {
  const linux = plan("go", machine({ root: false, commands: ["go"] }));
  assert.equal(linux.action, "skip");
  assert.match(linux.reason, /go, protoc-gen-go and Debian's Go protobuf source .* are not all installed; install golang-go protoc-gen-go golang-google-protobuf-dev \(apt-get, as root\)/);
  const mac = plan("go", machine({ platform: "darwin", root: false, hasAptGet: false, commands: ["go", "protoc-gen-go", "protoc"] }));
  assert.equal(mac.action, "skip");
  assert.match(mac.reason, /install Go >= 1\.19, then in clients\/go drop go\.mod's replace line/);
});
