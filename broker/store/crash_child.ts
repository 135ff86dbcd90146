/**
 * Child process for the kill -9 crash test (crash.test.ts): opens a FileStore with the default
 * `always` policy and appends from several concurrent appenders forever, printing one line per
 * acknowledged append: "ack <seq> <subject> <payload bytes> <payload crc32c>". stdout is a pipe,
 * which Node writes synchronously on Linux, so a printed ack has left the process before any
 * later kill. Run: node dist/broker/store/crash_child.js <dir> <seed> <appenders>
 */
import { pathToFileURL } from "node:url";
import { Prng } from "../../common/prng.js";
import { crc32c } from "./crc32c.js";
import { FileStore } from "./file_store.js";
import { NodeFileSystem } from "./node_fs.js";
import type { StoreOptions } from "./types.js";

export const crashStoreOptions: StoreOptions = {
  name: "CRASH",
  limits: { max_msgs: 0, max_bytes: 0, max_age_ms: 0, max_msgs_per_subject: 0, max_msg_size_bytes: 0, discard: "old", discard_new_per_subject: false },
  sync: "always",
  sync_interval_ms: 1000,
};
export const crashSegmentBytes = 64 * 1024;

async function main(argv: string[]): Promise<void> {
  const [dir, seedText, appendersText] = argv;
  if (dir === undefined || seedText === undefined) throw new Error("usage: crash_child <dir> <seed> [appenders]");
  const prng = new Prng(Number(seedText));
  const appenders = Number(appendersText ?? 4);
  process.stdout.write("start\n");
  const store = await FileStore.open(crashStoreOptions, { fs: new NodeFileSystem(), dir, segment_bytes_max: crashSegmentBytes });
  process.stdout.write(`ready ${store.state().last_seq}\n`);
  const loop = async (): Promise<void> => {
    for (;;) {
      const payload = new Uint8Array(1 + prng.int(prng.chance(0.05) ? 20_000 : 600));
      for (let i = 0; i < payload.length; i += 97) payload[i] = prng.int(256);
      const subject = `crash.${prng.int(8)}`;
      const r = await store.append({ subject, headers: undefined, payload });
      process.stdout.write(`ack ${r.seq} ${subject} ${payload.length} ${crc32c(payload)}\n`);
    }
  };
  await Promise.all(Array.from({ length: appenders }, loop));
}

// Run only as the entry point (the test imports the constants above).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`crash_child: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}
