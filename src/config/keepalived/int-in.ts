/** A strict integer argument within bounds, as keepalived's read_int_strvec() accepts it (lib/parser.c). */

const INT = /^[-+]?\d+$/;

/** An integer argument (optional sign, digits only) in [min, max], or undefined. */
export function intIn(s: string | undefined, min: number, max: number): number | undefined {
  if (s === undefined || !INT.test(s)) return undefined;
  const v = Number(s);
  return v >= min && v <= max ? v : undefined;
}
