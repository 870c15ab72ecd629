/**
 * One-packet scheduling (`-o`, IP_VS_SVC_F_ONEPACKET) on the packet plane: for a UDP service each
 * datagram is scheduled on its own and its conn (IP_VS_CONN_F_ONE_PACKET, never hashed) is freed
 * once the datagram is sent (net/netfilter/ipvs/ip_vs_core.c ip_vs_schedule(), ip_vs_conn_put()),
 * so the conn table stays empty; without `-o` one client's datagrams follow their conn.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowOf, fromClient, fromRs } from '../forward/fixtures.js';
import { CLIENT, lab, RS1, RS1_MAC, RS2, run, VIP } from './lab.js';

const rules = (o: string, m = '-m') => `
-A -u ${VIP}:53 -s rr ${o}
-a -u ${VIP}:53 -r ${RS1}:53 ${m} -w 1
-a -u ${VIP}:53 -r ${RS2}:53 ${m} -w 1
`;
const dgram = (n: number) =>
  fromClient().ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 5000, dport: 53 }).payload(`q${n}`).build();

const RIPS = [RS1, RS2].map((a) => a.split('.').reduce((x, y) => x * 256 + Number(y), 0));

describe('one-packet scheduling (-o) for UDP', () => {
  for (const [method, m] of [
    ['NAT', '-m'],
    ['DR', '-g'],
  ] as const) {
    it(`${method}: six datagrams from one client:port are spread RS2, RS1, RS2... (rr from the last added, as list_add) and no conn is kept`, () => {
      const s = lab({ rules: rules('-o', m) });
      const to: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = run(s, dgram(i));
        assert.deepEqual(r.drops, []);
        assert.equal(r.tx.length, 1);
        // NAT rewrites the destination; DR leaves it and picks the real server's MAC.
        to.push(method === 'NAT' ? flowOf(r.tx[0]!).dst4 >>> 0 : r.tx[0]![5]!);
        assert.equal(s.director.conns.count, 0, 'the conn is gone with its datagram');
      }
      const want = method === 'NAT' ? RIPS : [0x0a, 0x0b];
      assert.deepEqual(
        to,
        [1, 0, 1, 0, 1, 0].map((i) => want[i]),
      );
      // Each datagram counted a conn on its real server and the service.
      const svc = s.director.table.list().find((x) => x.port === 53)!;
      assert.equal(svc.stats.conns, 6);
      assert.deepEqual(
        svc.dests.map((d) => d.stats.conns),
        [3, 3],
      );
    });
  }

  it('without -o the same datagrams all follow one conn to one real server', () => {
    const s = lab({ rules: rules('') });
    const to = new Set<number>();
    for (let i = 0; i < 6; i++) to.add(flowOf(run(s, dgram(i)).tx[0]!).dst4 >>> 0);
    assert.equal(to.size, 1);
    assert.equal(s.director.conns.count, 1);
  });

  it('NAT: with no conn kept, a real server reply is not translated (not ours), as with the kernel', () => {
    const s = lab({ rules: rules('-o') });
    run(s, dgram(0));
    const reply = fromRs(RS1_MAC).ipv4({ src: RS1, dst: CLIENT }).udp({ sport: 53, dport: 5000 }).build();
    assert.deepEqual(run(s, reply).drops, ['not_ours']);
  });
});
