// The Go client's message types: protoc + protoc-gen-go over proto/ into clients/go/gen (committed,
// never edited by hand, like src/gen).
//
//   node scripts/generate-go.mjs           regenerate clients/go/gen (npm run generate:go)
//   node scripts/generate-go.mjs --check   fail when that would change it (npm run check:gen runs this)
//
// Our protos set no go_package (it would change the descriptors src/gen embeds), so each file's Go
// import path is given with protoc-gen-go's M option instead. The output names the protoc-gen-go
// version that wrote it and differs between versions, so the check compares only when the local
// protoc-gen-go is the one the committed files were written with; otherwise, or without
// protoc-gen-go at all, it prints a SKIPPED line and passes.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The Go module in clients/go, and where the generated package lives inside it. */
export const GO_MODULE = "edge-verify/clients/go";
export const GO_GEN_DIR = "clients/go/gen";
/** Debian's libprotobuf-dev puts the well-known types (timestamp, field_mask) here. */
const SYSTEM_INCLUDE = "/usr/include";

function list(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? list(path) : [path];
  });
}

/** proto/ files relative to proto/, e.g. verify/v1/verification.proto. */
function protoFiles() {
  return list(join(root, "proto"))
    .filter((p) => p.endsWith(".proto"))
    .map((p) => relative(join(root, "proto"), p))
    .sort();
}

/** verify/v1/x.proto -> edge-verify/clients/go/gen/verify/v1;verifyv1 (buf's package naming). */
function goPackage(protoFile) {
  const dir = dirname(protoFile);
  return `${GO_MODULE}/gen/${dir};${dir.split("/").slice(-2).join("")}`;
}

/** The version protoc-gen-go prints (v1.28.1), or null when it is not installed. */
export function protocGenGoVersion() {
  const run = spawnSync("protoc-gen-go", ["--version"], { encoding: "utf8" });
  if (run.status !== 0) return null;
  return /v\d+\.\d+\.\d+\S*/.exec(run.stdout)?.[0] ?? null;
}

/** Runs protoc with protoc-gen-go over every proto/ file into `outDir`. */
export function generateGo(outDir) {
  const files = protoFiles();
  const includes = ["-I", "proto", ...(existsSync(join(SYSTEM_INCLUDE, "google/protobuf/timestamp.proto")) ? ["-I", SYSTEM_INCLUDE] : [])];
  const mappings = files.map((f) => `--go_opt=M${f}=${goPackage(f)}`);
  mkdirSync(outDir, { recursive: true });
  execFileSync("protoc", [...includes, `--go_out=${outDir}`, "--go_opt=paths=source_relative", ...mappings, ...files], { cwd: root, stdio: "inherit" });
}

// The protoc version in the header does not change the code; a Debian protoc next to a newer one
// elsewhere should not count as drift.
const normalise = (text) => text.replace(/^\/\/\s+protoc\s+v\S+$/m, "// protoc");

/**
 * Compares a fresh generation with the committed files. Returns { status: "ok" | "drift" | "skipped", message }.
 */
export function checkGo() {
  const committedDir = join(root, GO_GEN_DIR);
  const committedFiles = list(committedDir);
  const committedVersion = committedFiles.length > 0 ? /protoc-gen-go (v\S+)/.exec(readFileSync(committedFiles[0], "utf8"))?.[1] : undefined;
  const version = protocGenGoVersion();
  const protoc = spawnSync("protoc", ["--version"], { stdio: "ignore" }).status === 0;
  if (version === null || !protoc) {
    return { status: "skipped", message: `SKIPPED the ${GO_GEN_DIR} check: protoc and protoc-gen-go are not both installed (apt-get install protoc-gen-go, or npm run test:go as root)` };
  }
  if (committedVersion !== undefined && committedVersion !== version) {
    return { status: "skipped", message: `SKIPPED the ${GO_GEN_DIR} check: it was written by protoc-gen-go ${committedVersion}, this machine has ${version}, whose output differs` };
  }
  const scratch = mkdtempSync(join(tmpdir(), "edge-verify-gen-go-"));
  try {
    generateGo(scratch);
    const read = (dir) => new Map(list(dir).map((p) => [relative(dir, p), normalise(readFileSync(p, "utf8"))]));
    const committed = read(committedDir);
    const fresh = read(scratch);
    const drift = [...new Set([...committed.keys(), ...fresh.keys()])].filter((k) => committed.get(k) !== fresh.get(k));
    if (drift.length > 0) return { status: "drift", message: `${GO_GEN_DIR} is out of date with proto/ (run \`npm run generate:go\` and commit): ${drift.join(", ")}` };
    return { status: "ok", message: `${GO_GEN_DIR} matches protoc-gen-go ${version} (${fresh.size} files)` };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--check") {
    const result = checkGo();
    (result.status === "drift" ? console.error : console.log)(result.message);
    process.exit(result.status === "drift" ? 1 : 0);
  }
  const out = join(root, GO_GEN_DIR);
  rmSync(out, { recursive: true, force: true });
  generateGo(out);
  console.log(`generated ${list(out).length} files in ${GO_GEN_DIR} with protoc-gen-go ${protocGenGoVersion()}`);
}
