// Fails when `buf generate` would change the committed src/gen/ (generated code is never edited by
// hand). Regenerates into a temporary copy of the tree so the working tree is left untouched. Then
// the same for the Go client's clients/go/gen (scripts/generate-go.mjs), where protoc-gen-go is installed.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { checkGo } from "./generate-go.mjs";

const root = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), "edge-verify-gen-"));
try {
  for (const entry of ["proto", "buf.yaml", "buf.gen.yaml"]) cpSync(join(root, entry), join(scratch, entry), { recursive: true });
  const bin = join(root, "node_modules", ".bin");
  execFileSync(join(bin, "buf"), ["generate"], { cwd: scratch, stdio: "inherit", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  const list = (dir) =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? list(path) : [path];
    });
  const committed = new Map(list(join(root, "src/gen")).map((p) => [relative(join(root, "src/gen"), p), readFileSync(p, "utf8")]));
  const fresh = new Map(list(join(scratch, "src/gen")).map((p) => [relative(join(scratch, "src/gen"), p), readFileSync(p, "utf8")]));
  const drift = [...new Set([...committed.keys(), ...fresh.keys()])].filter((k) => committed.get(k) !== fresh.get(k));
  if (drift.length > 0) {
    console.error(`src/gen is out of date with proto/ (run \`npm run generate\` and commit): ${drift.join(", ")}`);
    process.exit(1);
  }
  console.log(`src/gen matches buf generate (${fresh.size} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const go = checkGo();
(go.status === "drift" ? console.error : console.log)(go.message);
if (go.status === "drift") process.exit(1);
