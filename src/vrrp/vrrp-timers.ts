/**
 * VRRP timer arithmetic in milliseconds: Skew_Time and Master_Down_Interval (RFC 3768 §6.1,
 * RFC 5798 §6.1), rounded down to whole microseconds as keepalived's VRRP_TIMER_SKEW macro does
 * (keepalived/include/vrrp.h).
 */

/** v2: (256 − prio) / 256 s; v3: ((256 − prio) × Master_Adver_Interval) / 256, in ms. */
export function skewMs(version: 2 | 3, prio: number, masterAdverIntCs: number): number {
  const p = 256 - prio;
  const us =
    version === 3 ? Math.floor((p * masterAdverIntCs * 625) / 16) : Math.floor((p * 1_000_000) / 256);
  return us / 1000;
}

/** Master_Down_Interval = adverts × Master_Adver_Interval + Skew_Time, in ms (adverts is 3 per RFC). */
export function masterDownMs(version: 2 | 3, prio: number, masterAdverIntCs: number, adverts = 3): number {
  return adverts * masterAdverIntCs * 10 + skewMs(version, prio, masterAdverIntCs);
}
