import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseMarkArgs } from '../../src/config/marks/mark-rules.js';
import type { MarkRule } from '../../src/core/mark-rule.js';
import { MarkTable } from '../../src/engine/mark-table.js';
import { Flow, PARSE, parseFlow } from '../../src/packet/flow.js';
import { createSimulation, SIM_IFINDEX, type Simulation } from '../../src/tools/simulate.js';
import { fromClient } from '../forward/fixtures.js';
import { pkt } from '../helpers/packet-builder.js';
import {
  CLIENT,
  DIR_IP,
  DIR_MAC,
  GW,
  GW_MAC,
  hex,
  lab,
  RS1,
  RS1_MAC,
  RS2,
  RS2_MAC,
  RULES,
  run,
  VIP,
} from './lab.js';
import { CLIENT6, DIR6, fromGw6, GW6, RS6, RS6B, RULES6 } from './lab6.js';

/** A VIP no address service names: only a mark rule makes it ours. */
const MVIP = '192.0.2.150';
const MVIP6 = '2001:db8:1::150';

/** fwmark 1: ports 80 and 443 of MVIP grouped, persistent, two DR real servers (round robin). */
const FWM_RULES = `${RULES}
-A -f 1 -s rr -p 300
-a -f 1 -r ${RS1} -g -w 1
-a -f 1 -r ${RS2} -g -w 1
`;

const marks = (...rules: string[]) => {
  const p = parseMarkArgs(rules);
  assert.deepEqual(p.findings, []);
  return new MarkTable(p.rules, (n) => (n === 'eth0' ? SIM_IFINDEX : undefined));
};

const syn = (src: string, sport: number, dst: string, dport: number) =>
  fromClient().ipv4({ src, dst }).tcp({ sport, dport, flags: 'S', seq: 1 }).build();

// The real server a DR frame went to, by its destination MAC.
const rsOf = (f: Buffer) =>
  ({ [RS1_MAC]: RS1, [RS2_MAC]: RS2 })[
    f
      .subarray(0, 6)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1:')
  ];

function fwmLab(): Simulation {
  const sim = lab({ rules: FWM_RULES });
  sim.engine.setMarks(marks(`tcp dst ${MVIP} dport 80,443 mark 1`));
  return sim;
}

describe('fwmark classification on the packet plane', () => {
  it('without a rule, traffic to an address only a fwmark service could take is not ours', () => {
    const sim = lab({ rules: FWM_RULES });
    assert.deepEqual(run(sim, syn(CLIENT, 40000, MVIP, 80)).drops, ['not_ours']);
  });

  it("sends one client's connections to ports 80 and 443 to the same real server (persistent fwmark service)", () => {
    const sim = fwmLab();
    const seen = new Set<string>();
    for (let c = 1; c <= 4; c++) {
      const client = `203.0.113.${c}`;
      const a = run(sim, syn(client, 40000 + c, MVIP, 80));
      const b = run(sim, syn(client, 41000 + c, MVIP, 443));
      assert.deepEqual([a.drops, b.drops], [[], []]);
      assert.equal(a.tx.length, 1);
      assert.equal(b.tx.length, 1);
      const rs = rsOf(a.tx[0]!);
      assert.ok(rs, 'a DR frame to a real server MAC');
      assert.equal(rsOf(b.tx[0]!), rs, `${client}: port 443 follows port 80's real server`);
      seen.add(rs);
      // DR leaves the destination alone: the frame still says MVIP:port.
      assert.equal(a.tx[0]!.subarray(30, 34).join('.'), MVIP);
    }
    assert.deepEqual([...seen].sort(), [RS1, RS2], 'round robin spreads the clients over both');
  });

  it('answers ARP for a rule destination once a fwmark service takes its mark', () => {
    const sim = fwmLab();
    const req = pkt()
      .eth({ src: GW_MAC, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ senderMac: GW_MAC, senderIp: '192.0.2.254', targetIp: MVIP })
      .build();
    const r = run(sim, req);
    assert.equal(r.tx.length, 1);
    assert.equal(hex(r.tx[0]!.subarray(6, 12)), DIR_MAC.replace(/:/g, ''));
  });

  it('a port no rule names gets no mark: no service there', () => {
    assert.deepEqual(run(fwmLab(), syn(CLIENT, 40000, MVIP, 8080)).drops, ['no_service']);
  });

  it('the fwmark table is tried before the address service, as ip_vs_service_find() does', () => {
    const sim = lab({ rules: FWM_RULES });
    // VIP:80 is also a NAT service to RS1:8080; the mark takes the packet to the DR service.
    const before = run(sim, syn(CLIENT, 40000, VIP, 80));
    assert.equal(before.tx[0]!.readUInt16BE(36), 8080, 'NAT to 8080 without the rule');
    sim.engine.setMarks(marks(`tcp dst ${VIP} dport 80 mark 1`));
    const after = run(sim, syn(CLIENT, 40001, VIP, 80));
    assert.equal(after.tx[0]!.readUInt16BE(36), 80, 'DR keeps port 80');
    assert.ok(rsOf(after.tx[0]!));
  });

  it('an iif rule matches only frames from that interface', () => {
    const sim = lab({ rules: FWM_RULES });
    sim.engine.setMarks(marks(`tcp dst ${MVIP} iif eth1 mark 1`));
    assert.deepEqual(run(sim, syn(CLIENT, 40000, MVIP, 80)).drops, ['no_service']);
    sim.engine.setMarks(marks(`tcp dst ${MVIP} iif eth0 mark 1`));
    assert.equal(run(sim, syn(CLIENT, 40000, MVIP, 80)).tx.length, 1);
  });

  it('classifies IPv6 packets for an IPv6 fwmark service', () => {
    const rules = `-A -f 7 -6 -s rr -p 300\n-a -f 7 -6 -r ${RS6} -g -w 1\n-a -f 7 -6 -r ${RS6B} -g -w 1\n`;
    const sim6 = labWith6(rules);
    sim6.engine.setMarks(marks(`tcp dst ${MVIP6} dport 80,443 mark 7`));
    const s6 = (sport: number, dport: number) =>
      fromGw6().ipv6({ src: CLIENT6, dst: MVIP6 }).tcp({ sport, dport, flags: 'S', seq: 1 }).build();
    const a = run(sim6, s6(40000, 80));
    const b = run(sim6, s6(40001, 443));
    assert.deepEqual([a.drops, b.drops], [[], []]);
    assert.equal(hex(a.tx[0]!.subarray(0, 6)), hex(b.tx[0]!.subarray(0, 6)));
  });
});

// lab6's director with extra ipvsadm rules after the lab's own.
function labWith6(extra: string): Simulation {
  return createSimulation({
    rules: `${RULES6}\n${extra}`,
    directorMac: DIR_MAC,
    directorIp: `${DIR_IP}/24`,
    gateway: GW,
    directorIp6: `${DIR6}/64`,
    gateway6: GW6,
    neighbours: `${GW6} ${GW_MAC}\n${RS6} ${RS1_MAC}\n${RS6B} ${RS2_MAC}\n`,
    now: 1_000_000,
  });
}

// A reference evaluation: the first rule (in order) whose every match holds.
function reference(
  rules: readonly MarkRule[],
  af: 4 | 6,
  proto: number,
  src: Uint8Array,
  dst: Uint8Array,
  sport: number,
  dport: number,
  ifindex: number,
  ifOf: (n: string) => number | undefined,
): number {
  const inPrefix = (a: Uint8Array, p: NonNullable<MarkRule['dst']>) => {
    for (let bit = 0; bit < p.len; bit++) {
      const m = 0x80 >> (bit % 8);
      if ((a[bit >> 3]! & m) !== (p.bytes[bit >> 3]! & m)) return false;
    }
    return true;
  };
  const inPorts = (port: number, r?: readonly (readonly [number, number])[]) =>
    !r || r.some(([lo, hi]) => lo <= port && port <= hi);
  for (const r of rules) {
    if (r.proto !== 0 && r.proto !== proto) continue;
    if (r.af !== undefined && r.af !== af) continue;
    if (r.dst && (r.dst.af !== af || !inPrefix(dst, r.dst))) continue;
    if (r.src && (r.src.af !== af || !inPrefix(src, r.src))) continue;
    if (!inPorts(dport, r.dport) || !inPorts(sport, r.sport)) continue;
    if (r.iif !== undefined && ifOf(r.iif) !== ifindex) continue;
    return r.mark;
  }
  return 0;
}

describe('MarkTable', () => {
  it('agrees with a rule-by-rule reference evaluation on any rules and packets (both families)', () => {
    const ifOf = (n: string) => ({ eth0: 2, eth1: 3 })[n];
    const port = fc.constantFrom(0, 53, 80, 443, 1023, 1024, 8080, 65535);
    const ports = fc
      .array(fc.tuple(port, fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 3 })
      .map((a) => a.map(([p, w]) => (w > 1500 ? `${p}` : `${p}-${Math.min(65535, p + w)}`)).join(','));
    const rule = fc.record({
      proto: fc.constantFrom('', 'tcp ', 'udp ', 'sctp ', 'any '),
      fam: fc.constantFrom(4, 6, 0),
      dst: fc.option(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 128 }))),
      src: fc.option(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 128 }))),
      dport: fc.option(ports),
      sport: fc.option(ports),
      iif: fc.option(fc.constantFrom('eth0', 'eth1', 'eth9')),
      mark: fc.integer({ min: 1, max: 5 }),
    });
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 6 }),
        fc.constantFrom(4, 6),
        fc.constantFrom(6, 17),
        fc.nat(4),
        fc.nat(4),
        port,
        port,
        fc.constantFrom(2, 3),
        (rs, af, proto, si, di, sport, dport, ifx) => {
          const addrs4 = ['192.0.2.1', '192.0.2.100', '198.51.100.7', '203.0.113.200', '192.0.2.129'];
          const addrs6 = [
            '2001:db8::1',
            '2001:db8:1::100',
            '2001:db8:ffff::7',
            '2001:db8::2',
            '2001:db8:1::',
          ];
          const texts = rs.map((r) => {
            const pick = (x: [boolean, number] | null, k: string) => {
              if (!x || r.fam === 0) return '';
              const list = r.fam === 4 ? addrs4 : addrs6;
              const len = Math.min(x[1], r.fam === 4 ? 32 : 128);
              return `${k} ${list[x[1] % list.length]}${x[0] ? `/${len}` : ''} `;
            };
            return `${r.proto}${pick(r.dst, 'dst')}${pick(r.src, 'src')}${r.dport ? `dport ${r.dport} ` : ''}${r.sport ? `sport ${r.sport} ` : ''}${r.iif ? `iif ${r.iif} ` : ''}mark ${r.mark}`;
          });
          const p = parseMarkArgs(texts);
          assert.deepEqual(p.findings, []);
          const t = new MarkTable(p.rules, ifOf);
          const list = af === 4 ? addrs4 : addrs6;
          const src = list[si]!;
          const dst = list[di]!;
          const b = pkt().eth({ src: GW_MAC, dst: DIR_MAC });
          const ip = af === 4 ? b.ipv4({ src, dst }) : b.ipv6({ src, dst });
          const frame = (
            proto === 6 ? ip.tcp({ sport, dport, flags: 'S' }) : ip.udp({ sport, dport })
          ).build();
          const flow = new Flow();
          assert.equal(parseFlow(frame, frame.length, flow, 0), PARSE.OK);
          const got = af === 4 ? t.classify4(flow, ifx) : t.classify6(frame, flow, ifx);
          const bytes = (o: number) => frame.subarray(o, o + (af === 4 ? 4 : 16));
          const want = reference(
            p.rules,
            af as 4 | 6,
            proto,
            bytes(flow.srcOff),
            bytes(flow.dstOff),
            sport,
            dport,
            ifx,
            ifOf,
          );
          assert.equal(got, want, texts.join(' | '));
        },
      ),
      { numRuns: 500 },
    );
  });
});
