import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  destTextNotation,
  rsNotation,
  serviceTextNotation,
  vsNotation,
} from '../../src/core/keepalived-notation.js';
import { PROTO, type ServiceKey, serviceKeyText } from '../../src/core/types.js';

test("virtual and real servers are written as keepalived 2.2.7's format_vs() and format_rs() write them", () => {
  const vip: ServiceKey = { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.10', port: 80 };
  assert.equal(vsNotation(vip), '[192.0.2.10]:tcp:80');
  assert.equal(rsNotation({ addr: '198.51.100.12', port: 8081 }, vip), '[198.51.100.12]:tcp:8081');
  const v6: ServiceKey = { kind: 'addr', af: 6, protocol: PROTO.UDP, addr: '2001:db8::10', port: 53 };
  assert.equal(vsNotation(v6), '[2001:db8::10]:udp:53');
  const sctp: ServiceKey = { kind: 'addr', af: 4, protocol: PROTO.SCTP, addr: '192.0.2.1', port: 9 };
  assert.equal(vsNotation(sctp), '[192.0.2.1]:sctp:9');
  const fwm: ServiceKey = { kind: 'fwmark', af: 4, fwmark: 1 };
  assert.equal(vsNotation(fwm), 'FWM 1');
  assert.equal(rsNotation({ addr: '198.51.100.12', port: 0 }, fwm), '[198.51.100.12]:none:0');
});

test('service and real server text of the status view and the health ids become the same notation', () => {
  assert.equal(serviceTextNotation('TCP 192.0.2.10:80'), '[192.0.2.10]:tcp:80');
  assert.equal(serviceTextNotation('UDP [2001:db8::1]:53'), '[2001:db8::1]:udp:53');
  assert.equal(serviceTextNotation('FWM 7 IPv6'), 'FWM 7');
  assert.equal(serviceTextNotation('group VSG_1 TCP'), '[VSG_1]:0');
  assert.equal(destTextNotation('198.51.100.12:8081', 'TCP 192.0.2.10:80'), '[198.51.100.12]:tcp:8081');
  assert.equal(destTextNotation('[198.51.100.12]:8081', 'group VSG_1 UDP'), '[198.51.100.12]:udp:8081');
  assert.equal(destTextNotation('[2001:db8::5]:443', 'FWM 1'), '[2001:db8::5]:none:443');
});

const addrKey: fc.Arbitrary<ServiceKey> = fc
  .record({
    protocol: fc.constantFrom(PROTO.TCP, PROTO.UDP, PROTO.SCTP),
    port: fc.integer({ min: 0, max: 65535 }),
    addr: fc.oneof(fc.ipV4(), fc.ipV6()),
  })
  .map(({ protocol, port, addr }) => ({
    kind: 'addr' as const,
    af: addr.includes(':') ? (6 as const) : (4 as const),
    protocol,
    port,
    addr,
  }));
const fwmKey: fc.Arbitrary<ServiceKey> = fc.record({
  kind: fc.constant('fwmark' as const),
  af: fc.constantFrom(4 as const, 6 as const),
  fwmark: fc.integer({ min: 1, max: 0xffffffff }),
});

test('property: the text of any service key converts to exactly what the key itself gives', () => {
  fc.assert(
    fc.property(
      fc.oneof(addrKey, fwmKey),
      fc.oneof(fc.ipV4(), fc.ipV6()),
      fc.nat(65535),
      (key, addr, port) => {
        const text = serviceKeyText(key);
        assert.equal(serviceTextNotation(text), vsNotation(key));
        const dest = addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
        assert.equal(destTextNotation(dest, text), rsNotation({ addr, port }, key));
      },
    ),
  );
});

test('property: any other text is written as it is, never thrown on', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      const s = serviceTextNotation(a);
      assert.ok(s === a || s.startsWith('[') || s.startsWith('FWM '));
      const d = destTextNotation(a, b);
      assert.ok(d === a || d.startsWith('['));
    }),
  );
});
