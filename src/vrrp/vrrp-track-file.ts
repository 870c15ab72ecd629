/**
 * `track_file` arithmetic, as keepalived 2.2.7 computes it (keepalived/trackers/track_file.c
 * process_track_file(), update_track_file_status(), process_update_vrrp_track_file_status();
 * keepalived/vrrp/vrrp_track.c initialise_vrrp_file_tracking_priorities()): the file holds a
 * number read like strtol(buf, NULL, 0); with weight W the instance's priority moves by
 * value × W (negated with `reverse`), clamped to −254..253, and −254 means FAULT; with weight 0
 * a non-zero value means FAULT (a zero value with `reverse`).
 */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The value of a track file's text as keepalived reads it: leading white space, an optional sign,
 * then digits in base 16 (`0x`), 8 (leading `0`) or 10, stopping at the first other character;
 * no digits read as 0. Returns undefined for a value outside INT32_MIN..INT32_MAX+1, which
 * keepalived logs as invalid and ignores (the previous value stays).
 */
export function parseTrackFileValue(text: string): number | undefined {
  const m = /^[\t\n\v\f\r ]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(text);
  const digits = m?.[2];
  if (digits === undefined) return 0;
  const big =
    digits.length > 1 && digits[0] === '0' && (digits[1] === 'x' || digits[1] === 'X')
      ? BigInt(digits)
      : digits.length > 1 && digits[0] === '0'
        ? BigInt(`0o${digits.slice(1)}`)
        : BigInt(digits);
  const v = m?.[1] === '-' ? -big : big;
  if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX) + 1n) return undefined;
  return Number(v);
}

/** What one track file does to one instance: a priority delta, or FAULT. */
export interface TrackFileEffect {
  /** Added to the instance's total priority (0 while faulted). */
  readonly delta: number;
  readonly fault: boolean;
}

/** The effect of file value `value` tracked with `weight` (−254..254) and `reverse`. */
export function trackFileEffect(value: number, weight: number, reverse: boolean): TrackFileEffect {
  if (weight === 0) return { delta: 0, fault: reverse ? value === 0 : value !== 0 };
  const s = Math.max(-254, Math.min(253, value * weight * (reverse ? -1 : 1)));
  return s <= -254 ? { delta: 0, fault: true } : { delta: s, fault: false };
}
