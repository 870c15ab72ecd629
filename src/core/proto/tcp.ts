/**
 * TCP connection states, names, default timeouts and the three transition tables (INPUT, OUTPUT,
 * INPUT_ONLY) in their normal and secure_tcp ("dos") variants, as ip_vs_proto_tcp.c defines them
 * (tcp_states, tcp_states_dos). Tables are flat Uint8Arrays so a transition is one indexed read.
 */

/** TCP conn states (IP_VS_TCP_S_*). */
export const TCP_S = {
  NONE: 0,
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT: 4,
  TIME_WAIT: 5,
  CLOSE: 6,
  CLOSE_WAIT: 7,
  LAST_ACK: 8,
  LISTEN: 9,
  SYNACK: 10,
} as const;

/** Number of TCP states. */
export const TCP_STATE_COUNT = 11;

/** State names as the kernel prints them in /proc/net/ip_vs_conn and `ipvsadm -Lc`. */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'SYNACK',
];

/** Default per-state timeouts in seconds (tcp_timeouts[]). */
export const TCP_DEFAULT_TIMEOUTS: readonly number[] = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];

/** States counted in ActiveConn (tcp_state_active_table); every other state counts as inactive. */
export const TCP_STATE_ACTIVE: readonly boolean[] = [
  false,
  true,
  true,
  true,
  false,
  false,
  false,
  false,
  false,
  false,
  true,
];

/** Transition directions (IP_VS_DIR_*): INPUT client→server, OUTPUT server→client, INPUT_ONLY for NOOUTPUT conns. */
export const DIR = { INPUT: 0, OUTPUT: 1, INPUT_ONLY: 2 } as const;

/** TCP header flag bits as they sit in byte 13 of the header. */
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** Event rows of the tables: syn, fin, ack, rst (tcp_state_idx). */
export const TCP_EV = { SYN: 0, FIN: 1, ACK: 2, RST: 3 } as const;

/**
 * The table event for a segment's flags with the kernel's precedence RST > SYN > FIN > ACK, or -1
 * for a segment with none of them (which forces CLOSE).
 */
export function tcpEvent(flags: number): number {
  if (flags & TCP_FLAG.RST) return TCP_EV.RST;
  if (flags & TCP_FLAG.SYN) return TCP_EV.SYN;
  if (flags & TCP_FLAG.FIN) return TCP_EV.FIN;
  if (flags & TCP_FLAG.ACK) return TCP_EV.ACK;
  return -1;
}

// Rows are written with the kernel's column order NO ES SS SR FW TW CL CW LA LI SA.
const ES = 1;
const SS = 2;
const SR = 3;
const FW = 4;
const TW = 5;
const CL = 6;
const CW = 7;
const LA = 8;
const LI = 9;
const SA = 10;

const NORMAL: number[][] = [
  // INPUT: syn fin ack rst
  [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
  [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
  [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
  [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
  // OUTPUT
  [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
  [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
  [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
  [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
  // INPUT_ONLY
  [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
  [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
  [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
  [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

// secure_tcp: a conn becomes ESTABLISHED only after the real server answered (SR → SA → ES).
const DOS: number[][] = [
  // INPUT
  [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SA],
  [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, SA],
  [ES, ES, SS, SR, FW, TW, CL, CW, CL, LI, SA],
  [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
  // OUTPUT
  [SS, ES, SS, SA, SS, SS, SS, SS, SS, LI, SA],
  [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
  [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
  [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
  // INPUT_ONLY
  [SA, ES, ES, SR, SA, SA, SA, SA, SA, SA, SA],
  [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
  [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
  [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

function flatten(rows: number[][]): Uint8Array {
  const out = new Uint8Array(rows.length * TCP_STATE_COUNT);
  for (let i = 0; i < rows.length; i++) out.set(rows[i] as number[], i * TCP_STATE_COUNT);
  return out;
}

const TABLES = [flatten(NORMAL), flatten(DOS)];

/**
 * Next TCP state: `secure` picks the dos table, `dir` is DIR.*, `ev` a TCP_EV row or -1 (→ CLOSE).
 * The caller has already swapped INPUT for INPUT_ONLY on NOOUTPUT conns.
 */
export function tcpNextState(secure: boolean, dir: number, ev: number, state: number): number {
  if (ev < 0) return TCP_S.CLOSE;
  const t = TABLES[secure ? 1 : 0] as Uint8Array;
  return t[(dir * 4 + ev) * TCP_STATE_COUNT + state] ?? TCP_S.CLOSE;
}
