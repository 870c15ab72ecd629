import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announcedPrefixes, type BgpPlanInput, planBgp } from '../../src/control/bgp-plan.js';
import type { VipStatus } from '../../src/control/protocol.js';
import type { ServiceKey } from '../../src/core/types.js';

const tcp = (addr: string, port: number): ServiceKey => ({
  kind: 'addr',
  af: addr.includes(':') ? 6 : 4,
  protocol: 6,
  addr,
  port,
});
const served = (service: string): VipStatus => ({ service, serving: true });
const unserved = (service: string, reason: string): VipStatus => ({ service, serving: false, reason });

function input(over: Partial<BgpPlanInput>): BgpPlanInput {
  return { services: [], status: [], quorum: new Map(), drainedAll: false, drained: new Set(), ...over };
}

describe('BGP announcement decision', () => {
  it('announces a VIP whose service the data plane serves, as a host route', () => {
    const vips = planBgp(
      input({
        services: [tcp('192.0.2.10', 80), tcp('2001:db8::10', 80)],
        status: [served('TCP 192.0.2.10:80'), served('TCP [2001:db8::10]:80')],
      }),
    );
    assert.deepEqual(announcedPrefixes(vips), ['192.0.2.10/32', '2001:db8::10/128']);
  });

  it("withholds a VIP whose only service has no real server, with the plane's reason", () => {
    const [v] = planBgp(
      input({
        services: [tcp('192.0.2.10', 80)],
        status: [unserved('TCP 192.0.2.10:80', 'no real server in the table')],
      }),
    );
    assert.equal(v?.announce, false);
    assert.match(v?.reason ?? '', /TCP 192\.0\.2\.10:80: not served: no real server in the table/);
  });

  it('announces a VIP while any one of its services is served', () => {
    const vips = planBgp(
      input({
        services: [tcp('192.0.2.10', 80), tcp('192.0.2.10', 443)],
        status: [served('TCP 192.0.2.10:80'), unserved('TCP 192.0.2.10:443', 'every weight is 0')],
      }),
    );
    assert.equal(vips.length, 1);
    assert.deepEqual(vips[0]?.services, ['TCP 192.0.2.10:443', 'TCP 192.0.2.10:80']);
    assert.equal(vips[0]?.announce, true);
  });

  it('withholds a served VIP whose health checks lost quorum (a sorry server serving it)', () => {
    const [v] = planBgp(
      input({
        services: [tcp('192.0.2.10', 80)],
        status: [served('TCP 192.0.2.10:80')],
        quorum: new Map([['TCP 192.0.2.10:80', { up: false, reason: 'alive weight 0, quorum 1' }]]),
      }),
    );
    assert.equal(v?.announce, false);
    assert.match(v?.reason ?? '', /quorum down: alive weight 0, quorum 1/);
  });

  it('withholds everything without a data plane', () => {
    const vips = planBgp({
      ...input({ services: [tcp('192.0.2.10', 80)] }),
      status: undefined,
    } as BgpPlanInput);
    assert.deepEqual(announcedPrefixes(vips), []);
    assert.match(vips[0]?.reason ?? '', /no data plane/);
  });

  it('withholds a drained VIP, and every VIP when all are drained', () => {
    const services = [tcp('192.0.2.10', 80), tcp('192.0.2.11', 80)];
    const status = [served('TCP 192.0.2.10:80'), served('TCP 192.0.2.11:80')];
    const one = planBgp(input({ services, status, drained: new Set(['192.0.2.10']) }));
    assert.deepEqual(announcedPrefixes(one), ['192.0.2.11/32']);
    assert.match(one[0]?.reason ?? '', /drained \(lvsadm --bgp-drain 192\.0\.2\.10\)/);
    assert.deepEqual(announcedPrefixes(planBgp(input({ services, status, drainedAll: true }))), []);
  });

  it('leaves fwmark services out: they have no address to announce', () => {
    const vips = planBgp(
      input({ services: [{ kind: 'fwmark', af: 4, fwmark: 1 }], status: [served('FWM 1')] }),
    );
    assert.deepEqual(vips, []);
  });

  it('lists IPv4 before IPv6, each sorted', () => {
    const services = [tcp('2001:db8::2', 80), tcp('192.0.2.20', 80), tcp('192.0.2.3', 80)];
    const vips = planBgp(input({ services, status: [] }));
    assert.deepEqual(
      vips.map((v) => v.prefix),
      ['192.0.2.20/32', '192.0.2.3/32', '2001:db8::2/128'],
    );
  });
});
