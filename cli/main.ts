/**
 * `sluice <command>`: one executable for every process Sluice runs (the broker in pods, the
 * operator, the local cluster). Each command lives with the code it runs and is loaded lazily,
 * so `sluice broker` never loads the Kubernetes client.
 */
type CommandMain = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<CommandMain> }> = {
  broker: {
    summary: "run the NATS-compatible broker (accepts nats-server flags and config files)",
    load: async () => (await import("../broker/server/main.js")).main,
  },
  operator: {
    summary: "run the MessageQueue operator",
    load: async () => (await import("../operator/main.js")).main,
  },
  localkube: {
    summary: "build, start and stop a local Kubernetes control plane (up | down | status)",
    load: async () => (await import("../localkube/cli.js")).main,
  },
};

function usage(): string {
  const lines = ["usage: sluice <command> [flags]", "", "commands:"];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push("", "Run `sluice <command> --help` for the command's flags.");
  return lines.join("\n");
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(usage() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`sluice: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const main = await command.load();
  return main(rest);
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sluice: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
