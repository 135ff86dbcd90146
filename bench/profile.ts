/**
 * Summarise a V8 .cpuprofile (from `npm run bench -- core --profile`): the functions with the most
 * self time, so the hot path is visible without a browser.   node dist/bench/profile.js <file> [top]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { REPO_ROOT } from "../test/clients/lib/server-process.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
}

function main(argv: string[]): number {
  const file = argv[0];
  const top = Number(argv[1] ?? "25");
  if (!file || !(top > 0)) {
    console.error("usage: node dist/bench/profile.js <file.cpuprofile> [top]");
    return 2;
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const f = n.callFrame;
    const where = f.url ? `${relative(REPO_ROOT, f.url.replace(/^file:\/\//, ""))}:${f.lineNumber + 1}` : "(native)";
    const key = `${f.functionName || "(anonymous)"}  ${where}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`${total} samples; top ${rows.length} by self time:`);
  for (const [key, hits] of rows) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
