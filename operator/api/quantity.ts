/**
 * Kubernetes resource quantities (the subset the MessageQueue schema admits: an optional decimal
 * and a binary or decimal suffix). Used to compare sizes and to write byte counts into the broker
 * config, which does not understand "Gi".
 */
const multipliers: Record<string, bigint> = {
  "": 1n,
  k: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
  E: 1000n ** 6n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};

const quantityRe = /^([0-9]+)(?:\.([0-9]+))?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** Parses a quantity into whole units (bytes for storage), rounding fractions up like the apiserver. */
export function parseQuantity(text: string): bigint | undefined {
  if (text.length > 32) return undefined;
  const m = quantityRe.exec(text);
  if (m === null) return undefined;
  const whole = BigInt(m[1]!);
  const fraction = m[2] ?? "";
  const mult = multipliers[m[3] ?? ""]!;
  const scale = 10n ** BigInt(fraction.length);
  const numerator = (whole * scale + BigInt(fraction === "" ? "0" : fraction)) * mult;
  return (numerator + scale - 1n) / scale;
}

export function isQuantity(text: string): boolean {
  return parseQuantity(text) !== undefined;
}
