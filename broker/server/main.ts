/** `sluice broker`: owned by broker/server. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write("sluice broker: not built yet\n");
  return 1;
}
