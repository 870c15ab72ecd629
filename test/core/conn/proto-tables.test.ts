import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SCTP_DEFAULT_TIMEOUTS,
  SCTP_STATE_NAMES,
  sctpEvent,
  sctpNextState,
} from '../../../src/core/proto/sctp.js';
import {
  DIR,
  TCP_DEFAULT_TIMEOUTS,
  TCP_FLAG,
  TCP_S,
  TCP_STATE_ACTIVE,
  TCP_STATE_NAMES,
  tcpEvent,
  tcpNextState,
} from '../../../src/core/proto/tcp.js';

// ip_vs_proto_tcp.c's tcp_states and tcp_states_dos written out (rows: dir, event; columns: current state).
const TCP_COLS = 'NO ES SS SR FW TW CL CW LA LI SA'.split(' ');
const TCP_NORMAL = `
IN syn SR ES ES SR SR SR SR SR SR SR SR
IN fin CL CW SS TW TW TW CL CW LA LI TW
IN ack ES ES SS ES FW TW CL CW CL LI ES
IN rst CL CL CL SR CL CL CL CL LA LI SR
OUT syn SS ES SS SR SS SS SS SS SS LI SR
OUT fin TW FW SS TW FW TW CL TW LA LI TW
OUT ack ES ES SS ES FW TW CL CW LA ES ES
OUT rst CL CL SS CL CL TW CL CL CL CL CL
IN-ONLY syn SR ES ES SR SR SR SR SR SR SR SR
IN-ONLY fin CL FW SS TW FW TW CL CW LA LI TW
IN-ONLY ack ES ES SS ES FW TW CL CW CL LI ES
IN-ONLY rst CL CL CL SR CL CL CL CL LA LI CL`;
const TCP_DOS = `
IN syn SR ES ES SR SR SR SR SR SR SR SA
IN fin CL CW SS TW TW TW CL CW LA LI SA
IN ack ES ES SS SR FW TW CL CW CL LI SA
IN rst CL CL CL SR CL CL CL CL LA LI CL
OUT syn SS ES SS SA SS SS SS SS SS LI SA
OUT fin TW FW SS TW FW TW CL TW LA LI TW
OUT ack ES ES SS ES FW TW CL CW LA ES ES
OUT rst CL CL SS CL CL TW CL CL CL CL CL
IN-ONLY syn SA ES ES SR SA SA SA SA SA SA SA
IN-ONLY fin CL FW SS TW FW TW CL CW LA LI TW
IN-ONLY ack ES ES SS ES FW TW CL CW CL LI ES
IN-ONLY rst CL CL CL SR CL CL CL CL LA LI CL`;
const DIRS: Record<string, number> = { IN: DIR.INPUT, OUT: DIR.OUTPUT, 'IN-ONLY': DIR.INPUT_ONLY };
const TCP_EVS: Record<string, number> = { syn: 0x02, fin: 0x01, ack: 0x10, rst: 0x04 };

function checkTcp(text: string, secure: boolean): number {
  let n = 0;
  for (const line of text.trim().split('\n')) {
    const [dir, ev, ...cells] = line.split(' ');
    cells.forEach((cell, from) => {
      const got = tcpNextState(
        secure,
        DIRS[dir as string] as number,
        tcpEvent(TCP_EVS[ev as string] as number),
        from,
      );
      assert.equal(TCP_COLS[got], cell, `${secure ? 'dos' : 'normal'} ${dir} ${ev} from ${TCP_COLS[from]}`);
      n++;
    });
  }
  return n;
}

test('TCP normal transition table matches the kernel cell by cell', () => {
  assert.equal(checkTcp(TCP_NORMAL, false), 132);
});

test('TCP secure_tcp (dos) transition table matches the kernel cell by cell', () => {
  assert.equal(checkTcp(TCP_DOS, true), 132);
});

test('TCP event precedence is RST > SYN > FIN > ACK and a flagless segment forces CLOSE', () => {
  assert.equal(tcpEvent(0x02 | 0x04 | 0x01 | 0x10), 3);
  assert.equal(tcpEvent(0x02 | 0x01 | 0x10), 0);
  assert.equal(tcpEvent(0x01 | 0x10), 1);
  assert.equal(tcpEvent(0x10), 2);
  assert.equal(tcpEvent(0x08), -1);
  assert.equal(TCP_COLS[tcpNextState(false, DIR.INPUT, -1, 1)], 'CL');
});

test('TCP state names, timeouts and activity follow ip_vs_proto_tcp.c', () => {
  assert.deepEqual(TCP_STATE_NAMES, [
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
  ]);
  assert.deepEqual(TCP_DEFAULT_TIMEOUTS, [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]);
  const active = TCP_STATE_NAMES.filter((_, i) => TCP_STATE_ACTIVE[i]);
  assert.deepEqual(active, ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'SYNACK']);
});

const SCTP_COLS = 'NO I1 IN CS CR CW CO CE ES SS SR SA RJ CL'.split(' ');
const SCTP_TABLE = `
IN d ES I1 IN CS CR CW CO CE ES SS SR SA RJ CL
IN i I1 IN IN CS CR CW CO CE ES SS SR SA IN IN
IN ia CW CW CW CS CR CO CO CE ES SS SR SA RJ CL
IN ce CR IN IN CR CR CW CO CE ES SS SR SA RJ CL
IN ca ES I1 IN CS CR CW CO ES ES SS SR SA RJ CL
IN s SR I1 IN CS CR CW CO CE SR SS SR SA RJ CL
IN sa CL IN IN CS CR CW CO CE ES CL SR CL RJ CL
IN sc CL CL CL CS CR CW CO CE ES SS SR CL RJ CL
IN er CL I1 IN CS CR CW CO CL ES SS SR SA RJ CL
IN ab CL CL CL CL CL RJ CL CL CL CL CL CL CL CL
OUT d ES I1 IN CS CR CW CO CE ES SS SR SA RJ CL
OUT i CW CW CW CW CW CW CW CW ES CW CW CW CW CW
OUT ia CS CS CS CS CR CW CO CE ES SS SR SA RJ CL
OUT ce CE CE CE CE CE CE CE CE ES SS SR SA RJ CL
OUT ca ES ES ES ES ES ES ES ES ES SS SR SA RJ CL
OUT s SS SS SS SS SS SS SS SS SS SS SR SA RJ CL
OUT sa SA SA SA SA SA CW CO CE ES SA SA SA RJ CL
OUT sc CL I1 IN CS CR CW CO CE ES SS SR SA RJ CL
OUT er CL CL CL CL CL CW CO CE ES SS SR SA RJ CL
OUT ab CL RJ CL CL CL CL CL CL CL CL CL CL CL CL
IN-ONLY d ES I1 IN CS CR ES CO CE ES SS SR SA RJ CL
IN-ONLY i I1 IN IN IN IN IN CO CE ES SS SR SA IN IN
IN-ONLY ia CE CE CE CE CE CE CO CE ES SS SR SA RJ CL
IN-ONLY ce ES ES ES ES ES ES CO CE ES SS SR SA RJ CL
IN-ONLY ca ES I1 IN ES ES CW ES ES ES SS SR SA RJ CL
IN-ONLY s SR I1 IN CS CR CW CO CE SR SS SR SA RJ CL
IN-ONLY sa CL IN IN CS CR CW CO CE CL CL SR CL RJ CL
IN-ONLY sc CL CL CL CL CL CW CO CE ES SS CL CL RJ CL
IN-ONLY er CL I1 IN CS CR CW CO CE ES SS SR SA RJ CL
IN-ONLY ab CL CL CL CL CL RJ CL CL CL CL CL CL CL CL`;
// First chunk type that yields each event.
const SCTP_CHUNKS: Record<string, number> = {
  d: 0,
  i: 1,
  ia: 2,
  ce: 10,
  ca: 11,
  s: 7,
  sa: 8,
  sc: 14,
  er: 9,
  ab: 6,
};

test('SCTP transition tables match the kernel cell by cell', () => {
  let n = 0;
  for (const line of SCTP_TABLE.trim().split('\n')) {
    const [dir, ev, ...cells] = line.split(' ');
    cells.forEach((cell, from) => {
      const e = sctpEvent(SCTP_CHUNKS[ev as string] as number, -1);
      assert.equal(
        SCTP_COLS[sctpNextState(DIRS[dir as string] as number, e, from)],
        cell,
        `${dir} ${ev} ${SCTP_COLS[from]}`,
      );
      n++;
    });
  }
  assert.equal(n, 420);
});

test('SCTP event comes from the first chunk; COOKIE-ECHO or COOKIE-ACK before ABORT counts as ABORT', () => {
  assert.equal(sctpEvent(3, -1), 0); // SACK → data
  assert.equal(sctpEvent(4, -1), 0); // HEARTBEAT → data
  assert.equal(sctpEvent(200, -1), 0); // unknown → data
  assert.equal(sctpEvent(10, 6), 9);
  assert.equal(sctpEvent(11, 6), 9);
  assert.equal(sctpEvent(10, 0), 3);
  assert.equal(sctpEvent(0, 6), 0); // only cookie chunks look at the next one
});

test('SCTP state names and timeouts follow ip_vs_proto_sctp.c', () => {
  assert.equal(SCTP_STATE_NAMES[3], 'C-SENT');
  assert.equal(SCTP_STATE_NAMES[11], 'S-ACK-SENT');
  assert.deepEqual(SCTP_DEFAULT_TIMEOUTS, [2, 4, 61, 61, 61, 61, 61, 61, 900, 61, 61, 61, 4, 61]);
});

test('an ACK without SYN, FIN or RST keeps ESTABLISHED in every input table (the director fast path skips the lookup)', () => {
  for (const secure of [false, true])
    for (const dir of [DIR.INPUT, DIR.INPUT_ONLY])
      for (let flags = 0; flags < 0x1000; flags++) {
        if ((flags & (TCP_FLAG.ACK | TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) !== TCP_FLAG.ACK) continue;
        assert.equal(tcpNextState(secure, dir, tcpEvent(flags), TCP_S.ESTABLISHED), TCP_S.ESTABLISHED);
      }
});
