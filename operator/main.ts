/** `sluice operator`: owned by operator/. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write("sluice operator: not built yet\n");
  return 1;
}
