/** `sluice localkube`: owned by localkube/. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write("sluice localkube: not built yet\n");
  return 1;
}
