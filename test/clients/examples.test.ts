// docs/examples.md shows exactly the commands scripts/examples.sh runs (npm run test:examples):
// every `<!-- example: name -->` code block equals the script's `# >>> name` … `# <<<` block.
import { describe, expect, it } from "vitest";
import doc from "../../docs/examples.md?raw";
import script from "../../scripts/examples.sh?raw";

function docBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: ([\w-]+) -->\n```sh\n([\s\S]*?)\n```/g)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

function scriptBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/^# >>> ([\w-]+)\n([\s\S]*?)\n# <<<$/gm)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

describe("docs/examples.md", () => {
  it("shows every command scripts/examples.sh runs, verbatim and in order", () => {
    const fromDoc = docBlocks(doc);
    const fromScript = scriptBlocks(script);
    expect(fromScript.size).toBeGreaterThanOrEqual(8);
    expect([...fromDoc.keys()]).toEqual([...fromScript.keys()]);
    for (const [name, command] of fromScript) expect(fromDoc.get(name), name).toBe(command);
  });

  it("marks every shell block after the setup as a checked example", () => {
    const shellBlocks = [...doc.matchAll(/```sh\n/g)].length;
    expect(shellBlocks).toBe(docBlocks(doc).size + 1); // + the setup block
  });
});
