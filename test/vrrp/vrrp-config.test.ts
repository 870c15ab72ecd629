import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { bindVrrpInstance } from '../../src/vrrp/vrrp-config.js';
import { memIo } from '../config/mem-io.js';

const P = '/etc/keepalived/keepalived.conf';
function bind(text: string, name = 'VI_1', primary = '10.0.0.1') {
  const { model } = parseKeepalived(P, memIo({ [P]: text }), {});
  const vi = model.vrrp.instances.find((x) => x.name === name);
  assert.ok(vi, `instance ${name}`);
  return bindVrrpInstance(vi, model.vrrp, model.globals.extra, primary);
}

describe('binding keepalived.conf vrrp_instance to the VRRP layer', () => {
  it('applies keepalived defaults: v2, advert_int 1, priority 100, BACKUP, preempt, multicast 224.0.0.18', () => {
    const b = bind(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.168.200.16\n }\n}\n',
    );
    const i = b.instance;
    assert.deepEqual(
      [i.version, i.af, i.advertIntCs, i.priority, i.initialState, i.preempt, i.downTimerAdverts],
      [2, 4, 100, 100, 'BACKUP', true, 3],
    );
    assert.deepEqual(i.garp, {
      masterRepeat: 5,
      masterDelayMs: 5000,
      masterRefreshMs: 0,
      masterRefreshRepeat: 1,
      lowerPrioRepeat: 5,
      lowerPrioDelayMs: 5000,
      intervalMs: 0,
    });
    assert.equal(i.primaryAddr, '10.0.0.1');
    assert.deepEqual(b.destinations, ['224.0.0.18']);
    assert.deepEqual([b.rx.interval, b.rx.authType, b.rx.unicast], [1, 0, false]);
  });

  it('takes v3 from global vrrp_version with a centisecond interval, and PASS only for v2', () => {
    const b = bind(
      'global_defs {\n vrrp_version 3\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n advert_int 0.1\n' +
        ' authentication {\n auth_type PASS\n auth_pass 1111\n }\n virtual_ipaddress {\n 192.168.200.16\n }\n}\n',
    );
    assert.deepEqual(
      [b.instance.version, b.instance.advertIntCs, b.rx.interval, b.rx.authType],
      [3, 10, 10, 0],
    );
    const v2 = bind(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n authentication {\n auth_type PASS\n auth_pass secret123\n }\n' +
        ' virtual_ipaddress {\n 192.168.200.16\n }\n}\n',
    );
    assert.equal(v2.rx.authType, 1);
    assert.equal(Buffer.from(v2.rx.authData).toString(), 'secret12');
  });

  it('IPv6 VIPs force v3 and ff02::12; unicast_peer switches destinations and source', () => {
    const b6 = bind(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n fe80::10\n 2001:db8::10\n }\n}\n',
      'VI_1',
      'fe80::1',
    );
    assert.deepEqual([b6.instance.version, b6.instance.af, b6.destinations], [3, 6, ['ff02::12']]);
    const bu = bind(
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n unicast_src_ip 10.0.0.5\n check_unicast_src\n' +
        ' unicast_peer {\n 10.0.0.6\n 10.0.0.7\n }\n virtual_ipaddress {\n 192.168.200.16\n }\n}\n',
    );
    assert.deepEqual(bu.destinations, ['10.0.0.6', '10.0.0.7']);
    assert.equal(bu.instance.primaryAddr, '10.0.0.5');
    assert.deepEqual([bu.rx.unicast, bu.rx.checkUnicastSrc], [true, true]);
  });

  it('state MASTER without priority is the owner at 255; nopreempt and preempt_delay carry over', () => {
    const b = bind('vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 9\n}\n');
    assert.deepEqual([b.instance.priority, b.instance.initialState], [255, 'MASTER']);
    const n = bind(
      'vrrp_instance VI_1 {\n state BACKUP\n nopreempt\n preempt_delay 2.5\n interface eth0\n virtual_router_id 9\n}\n',
    );
    assert.deepEqual([n.instance.preempt, n.instance.preemptDelayMs], [false, 2500]);
  });

  it('honours global and per-instance GARP and advert keywords, and vrrp_min_garp', () => {
    const b = bind(
      'global_defs {\n vrrp_garp_master_refresh 60\n vrrp_lower_prio_no_advert\n}\n' +
        'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n garp_master_refresh_repeat 2\n down_timer_adverts 5\n}\n',
    );
    assert.deepEqual([b.instance.garp.masterRefreshMs, b.instance.garp.masterRefreshRepeat], [60_000, 2]);
    assert.deepEqual([b.instance.lowerPrioNoAdvert, b.instance.downTimerAdverts], [true, 5]);
    const m = bind(
      'global_defs {\n vrrp_min_garp true\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n}\n',
    );
    assert.deepEqual([m.instance.garp.masterRepeat, m.instance.garp.masterDelayMs], [1, 0]);
  });

  it('resolves track weights from vrrp_script', () => {
    const text =
      'vrrp_script chk {\n script "/bin/true"\n weight -20\n}\n' +
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n track_script {\n chk\n }\n track_interface {\n eth1 weight 10\n }\n}\n';
    assert.deepEqual(
      bind(text).tracks.map((t) => [t.kind, t.name, t.weight, t.reverse]),
      [
        ['interface', 'eth1', 10, false],
        ['script', 'chk', -20, false],
      ],
    );
  });

  it('a sync group member drops its weighted track_scripts and tracks its interfaces with weight 0, as keepalived does', () => {
    const text =
      'vrrp_script chk {\n script "/bin/true"\n weight -20\n}\n' +
      'vrrp_script zero {\n script "/bin/true"\n}\n' +
      'vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n' +
      ' track_script {\n chk weight 30 reverse\n zero\n }\n track_interface {\n eth1 weight 10\n eth2\n eth3 weight 5 reverse\n }\n}\n' +
      'vrrp_sync_group G {\n group {\n VI_2\n }\n}\n';
    const b2 = bind(text, 'VI_2');
    assert.equal(b2.syncGroup, 'G');
    assert.equal(b2.instance.inSyncGroup, true);
    assert.deepEqual(
      b2.tracks.map((t) => [t.kind, t.name, t.weight, t.reverse]),
      [
        ['interface', 'eth1', 0, false],
        ['interface', 'eth2', 0, false],
        ['interface', 'eth3', 0, true],
        ['script', 'zero', 0, false],
      ],
    );
  });

  it("sync_group_tracking_weight (and the deprecated global_tracking) keeps the members' weights", () => {
    for (const kw of ['sync_group_tracking_weight', 'global_tracking']) {
      const text =
        'vrrp_script chk {\n script "/bin/true"\n weight -20\n}\n' +
        'vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n' +
        ' track_script {\n chk weight 30 reverse\n }\n track_interface {\n eth1 weight 10\n }\n}\n' +
        `vrrp_sync_group G {\n group {\n VI_2\n }\n ${kw}\n}\n`;
      assert.deepEqual(
        bind(text, 'VI_2').tracks.map((t) => [t.kind, t.name, t.weight, t.reverse]),
        [
          ['interface', 'eth1', 10, false],
          ['script', 'chk', 30, true],
        ],
        kw,
      );
    }
  });
  it("a sync group's own track_script applies its weight to every member, cleared to 0 when a member is the address owner", () => {
    const scripts =
      'vrrp_script chk {\n script "/bin/true"\n weight -20\n}\n' +
      'vrrp_script zero {\n script "/bin/true"\n}\n' +
      'vrrp_script both {\n script "/bin/true"\n weight 7\n}\n';
    const member = (name: string, vrid: number, prio: number) =>
      `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n priority ${prio}\n` +
      ' track_script {\n zero\n both\n }\n}\n';
    const group =
      'vrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n track_script {\n chk weight 30 reverse\n zero\n both weight -5\n }\n}\n';
    const tracks = (text: string) =>
      bind(text, 'VI_1').tracks.map((t) => [t.kind, t.name, t.weight, t.reverse]);
    assert.deepEqual(tracks(scripts + member('VI_1', 1, 100) + member('VI_2', 2, 100) + group), [
      ['script', 'zero', 0, false],
      ['script', 'chk', 30, true],
      // The member's own weighted `both` was dropped; the group's entry is tracked.
      ['script', 'both', -5, false],
    ]);
    assert.deepEqual(
      tracks(
        scripts +
          member('VI_1', 1, 100) +
          member('VI_2', 2, 255) +
          group.replace('}\n}\n', '}\n sync_group_tracking_weight\n}\n'),
      ),
      [
        ['script', 'zero', 0, false],
        ['script', 'both', 0, false],
        ['script', 'chk', 0, true],
      ],
    );
    assert.deepEqual(
      tracks(
        scripts +
          member('VI_1', 1, 100) +
          member('VI_2', 2, 100) +
          group.replace('}\n}\n', '}\n sync_group_tracking_weight\n}\n'),
      ),
      [
        ['script', 'zero', 0, false],
        ['script', 'both', -5, false],
        ['script', 'chk', 30, true],
      ],
    );
  });
});
