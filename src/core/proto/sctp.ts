/**
 * SCTP association states, names, timeouts and the INPUT/OUTPUT/INPUT_ONLY transition tables of
 * ip_vs_proto_sctp.c. The event is the type of the first chunk, except that a
 * COOKIE-ECHO or COOKIE-ACK followed by an ABORT counts as ABORT.
 */

/** SCTP conn states (IP_VS_SCTP_S_*). */
export const SCTP_S = {
  NONE: 0,
  INIT1: 1,
  INIT: 2,
  COOKIE_SENT: 3,
  COOKIE_REPLIED: 4,
  COOKIE_WAIT: 5,
  COOKIE: 6,
  COOKIE_ECHOED: 7,
  ESTABLISHED: 8,
  SHUTDOWN_SENT: 9,
  SHUTDOWN_RECEIVED: 10,
  SHUTDOWN_ACK_SENT: 11,
  REJECTED: 12,
  CLOSED: 13,
} as const;

/** Number of SCTP states. */
export const SCTP_STATE_COUNT = 14;

/** State names as the kernel prints them. */
export const SCTP_STATE_NAMES: readonly string[] = [
  'NONE',
  'INIT1',
  'INIT',
  'C-SENT',
  'C-REPLIED',
  'C-WAIT',
  'COOKIE',
  'C-ECHOED',
  'ESTABLISHED',
  'S-SENT',
  'S-RECEIVED',
  'S-ACK-SENT',
  'REJECTED',
  'CLOSED',
];

// 61 s = the maximum RTO (60 s) + 1, IP_VS_SCTP_MAX_RTO.
const RTO = 61;
/** Default per-state timeouts in seconds (sctp_timeouts[]). */
export const SCTP_DEFAULT_TIMEOUTS: readonly number[] = [
  2,
  4,
  RTO,
  RTO,
  RTO,
  RTO,
  RTO,
  RTO,
  900,
  RTO,
  RTO,
  RTO,
  4,
  RTO,
];

/** SCTP chunk type numbers (RFC 9260 §3.2). */
export const SCTP_CHUNK = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  ECNE: 12,
  CWR: 13,
  SHUTDOWN_COMPLETE: 14,
} as const;

/** Table events (ipvs_sctp_event_t). */
export const SCTP_EV = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  COOKIE_ECHO: 3,
  COOKIE_ACK: 4,
  SHUTDOWN: 5,
  SHUTDOWN_ACK: 6,
  SHUTDOWN_COMPLETE: 7,
  ERROR: 8,
  ABORT: 9,
} as const;

// Chunk type → event (sctp_events[]); types beyond the list are treated as DATA.
const CHUNK_EVENT = new Uint8Array([0, 1, 2, 0, 0, 0, 9, 5, 6, 8, 3, 4, 0, 0, 7]);

/**
 * The table event for a packet: `first` is the first chunk type, `next` the type of the chunk
 * after it (or -1). COOKIE-ECHO/COOKIE-ACK bundled before an ABORT count as ABORT, as the kernel does.
 */
export function sctpEvent(first: number, next: number): number {
  let t = first;
  if ((first === SCTP_CHUNK.COOKIE_ECHO || first === SCTP_CHUNK.COOKIE_ACK) && next === SCTP_CHUNK.ABORT) {
    t = SCTP_CHUNK.ABORT;
  }
  return t >= 0 && t < CHUNK_EVENT.length ? (CHUNK_EVENT[t] as number) : SCTP_EV.DATA;
}

// Column order NO I1 IN CS CR CW CO CE ES SS SR SA RJ CL.
const I1 = 1;
const IN = 2;
const CS = 3;
const CR = 4;
const CW = 5;
const CO = 6;
const CE = 7;
const ES = 8;
const SS = 9;
const SR = 10;
const SA = 11;
const RJ = 12;
const CL = 13;

const ROWS: number[][] = [
  // INPUT: d i ia ce ca s sa sc er ab
  [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [I1, IN, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, IN, IN],
  [CW, CW, CW, CS, CR, CO, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CR, IN, IN, CR, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [ES, I1, IN, CS, CR, CW, CO, ES, ES, SS, SR, SA, RJ, CL],
  [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
  [CL, IN, IN, CS, CR, CW, CO, CE, ES, CL, SR, CL, RJ, CL],
  [CL, CL, CL, CS, CR, CW, CO, CE, ES, SS, SR, CL, RJ, CL],
  [CL, I1, IN, CS, CR, CW, CO, CL, ES, SS, SR, SA, RJ, CL],
  [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
  // OUTPUT
  [ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CW, CW, CW, CW, CW, CW, CW, CW, ES, CW, CW, CW, CW, CW],
  [CS, CS, CS, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CE, CE, CE, CE, CE, CE, CE, CE, ES, SS, SR, SA, RJ, CL],
  [ES, ES, ES, ES, ES, ES, ES, ES, ES, SS, SR, SA, RJ, CL],
  [SS, SS, SS, SS, SS, SS, SS, SS, SS, SS, SR, SA, RJ, CL],
  [SA, SA, SA, SA, SA, CW, CO, CE, ES, SA, SA, SA, RJ, CL],
  [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL],
  // INPUT_ONLY
  [ES, I1, IN, CS, CR, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
  [I1, IN, IN, IN, IN, IN, CO, CE, ES, SS, SR, SA, IN, IN],
  [CE, CE, CE, CE, CE, CE, CO, CE, ES, SS, SR, SA, RJ, CL],
  [ES, ES, ES, ES, ES, ES, CO, CE, ES, SS, SR, SA, RJ, CL],
  [ES, I1, IN, ES, ES, CW, ES, ES, ES, SS, SR, SA, RJ, CL],
  [SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL],
  [CL, IN, IN, CS, CR, CW, CO, CE, CL, CL, SR, CL, RJ, CL],
  [CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, CL, CL, RJ, CL],
  [CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL],
  [CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL],
];

const TABLE = new Uint8Array(ROWS.length * SCTP_STATE_COUNT);
for (let i = 0; i < ROWS.length; i++) TABLE.set(ROWS[i] as number[], i * SCTP_STATE_COUNT);

/** Next SCTP state for direction `dir` (DIR.*, INPUT_ONLY already chosen by the caller), event and state. */
export function sctpNextState(dir: number, ev: number, state: number): number {
  return TABLE[(dir * 10 + ev) * SCTP_STATE_COUNT + state] ?? SCTP_S.CLOSED;
}
