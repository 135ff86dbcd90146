/** Stream and consumer name rules shared by the API and persistence (names become file names). */

export const nameLengthMax = 255;

/** nats-server: 1–255 chars, none of whitespace `.` `*` `>`; path separators are rejected separately. */
export function isValidName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && name.length <= nameLengthMax && !/[\s.*>]/.test(name);
}

export function hasPathSeparator(name: string): boolean {
  return name.includes("/") || name.includes("\\");
}
