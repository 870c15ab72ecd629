import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { parseVmacAddr, vmacNameValid } from '../../src/config/keepalived/vrrp-vmac.js';
import { bindVrrpInstance } from '../../src/vrrp/vrrp-config.js';
import { memIo } from '../config/mem-io.js';

const P = '/etc/keepalived/keepalived.conf';

function parse(text: string) {
  return parseKeepalived(P, memIo({ [P]: text }), {});
}

function inst(name: string, vrid: number, lines: string, vip = '192.0.2.100/32') {
  return `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n${lines} virtual_ipaddress {\n ${vip}\n }\n}\n`;
}

function vmacOf(text: string, name = 'VI_1', primary = '192.0.2.1') {
  const { model } = parse(text);
  const vi = model.vrrp.instances.find((x) => x.name === name);
  assert.ok(vi);
  return bindVrrpInstance(vi, model.vrrp, model.globals.extra, primary).vmac;
}

describe('use_vmac binding (keepalived 2.2.7 vrrp_vmac_handler, create_vmac_name)', () => {
  it('without use_vmac there is no macvlan', () => {
    assert.equal(vmacOf(inst('VI_1', 51, '')), undefined);
  });

  it('bare use_vmac: vrrp.<VRID> with 00:00:5e:00:01:<VRID>, adverts from the macvlan', () => {
    assert.deepEqual(vmacOf(inst('VI_1', 51, ' use_vmac\n')), {
      ifname: 'vrrp.51',
      mac: '00:00:5e:00:01:33',
      xmitBase: false,
    });
  });

  it('IPv6 takes 00:00:5e:00:02:<VRID>', () => {
    const v = vmacOf(inst('VI_1', 10, ' use_vmac\n', '2001:db8::10/128'), 'VI_1', 'fe80::1');
    assert.deepEqual([v?.ifname, v?.mac], ['vrrp.10', '00:00:5e:00:02:0a']);
  });

  it('use_vmac NAME, vmac_xmit_base, and a configured MAC (five octets take the VRID)', () => {
    const v = vmacOf(inst('VI_1', 51, ' use_vmac vmac51 02:11:22:33:44\n vmac_xmit_base\n'));
    assert.deepEqual(v, { ifname: 'vmac51', mac: '02:11:22:33:44:33', xmitBase: true });
  });

  it('global vmac_prefix names the default, cut so the name fits IFNAMSIZ', () => {
    const g = (p: string) => `global_defs {\n vmac_prefix ${p}\n}\n`;
    assert.equal(vmacOf(g('vm') + inst('VI_1', 51, ' use_vmac\n'))?.ifname, 'vm.51');
    assert.equal(vmacOf(g('abcdefghijklmnop') + inst('VI_1', 200, ' use_vmac\n'))?.ifname, 'abcdefghijk.200');
  });

  it('a default name taken by another instance moves on: vrrp1.51 (IPv4), vrrp6.51 (IPv6)', () => {
    const two = inst('VI_1', 51, ' use_vmac\n') + inst('VI_2', 51, ' use_vmac\n');
    assert.equal(vmacOf(two, 'VI_2')?.ifname, 'vrrp1.51');
    const v6 = inst('VI_1', 51, ' use_vmac\n') + inst('VI_6', 51, ' use_vmac\n', '2001:db8::10/128');
    assert.equal(vmacOf(v6, 'VI_6', 'fe80::1')?.ifname, 'vrrp6.51');
    const named = inst('VI_1', 51, ' use_vmac vrrp.51\n') + inst('VI_2', 52, ' use_vmac vrrp.51\n');
    assert.equal(vmacOf(named, 'VI_2')?.ifname, 'vrrp.52', 'a name already used is ignored');
  });

  it('unicast forces vmac_xmit_base with keepalived warning; strict mode drops it', () => {
    const uni = inst('VI_1', 51, ' use_vmac\n unicast_peer {\n 192.0.2.2\n }\n');
    const r = parse(uni);
    assert.ok(
      r.diagnostics.some(
        (d) =>
          d.code === 'ERR_CONFIG_ADJUSTED' &&
          /unicast with use_vmac requires vmac_xmit_base - setting/.test(d.text),
      ),
    );
    assert.equal(vmacOf(uni)?.xmitBase, true);
    assert.equal(vmacOf(inst('VI_1', 51, ' use_vmac\n vmac_xmit_base\n strict_mode\n'))?.xmitBase, false);
  });

  it("reports keepalived's use_vmac errors at the line and keeps use_vmac", () => {
    const cases: [string, RegExp][] = [
      ['bad/name', /VMAC interface name 'bad\/name' too long or invalid characters - ignoring/],
      [
        '00:00:5e:00:01:33',
        /VMAC MAC address not allowed to be RFC5798 address \(00:00:5e:00:01:33\) - ignoring/,
      ],
      ['01:00:5e:00:00:01', /VMAC MAC address is multicast 01:00:5e:00:00:01 - ignoring/],
      ['zz:00', /^VMAC invalid MAC address zz:00$/],
      ['02:11:22', /^VMAC invalid MAC address 02:11:22 - ignored$/],
      ['a b', /VMAC interface name already specified/],
    ];
    for (const [args, re] of cases) {
      const r = parse(inst('VI_1', 51, ` use_vmac ${args}\n`));
      const d = r.diagnostics.find((x) => re.test(x.text));
      assert.ok(d, `${args}: ${r.diagnostics.map((x) => x.text).join('; ')}`);
      assert.deepEqual([d.severity, d.code, d.line], ['error', 'ERR_CONFIG_BAD_VALUE', 4]);
      assert.equal(r.model.vrrp.instances[0]?.useVmac, true);
    }
    assert.equal(vmacOf(inst('VI_1', 51, ' use_vmac a b\n'))?.ifname, 'a');
  });

  it('parseVmacAddr reads any six (or five) 1–2 digit hex octets and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 6 }), (o) => {
        const r = parseVmacAddr(o.map((n) => n.toString(16)).join(':'));
        assert.deepEqual(r, { octets: o, useVrid: o.length === 5 });
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const r = parseVmacAddr(s);
        if (r) {
          assert.ok(r.octets.every((n) => n >= 0 && n <= 255));
          assert.ok(r.octets.length === (r.useVrid ? 5 : 6));
        }
        assert.equal(typeof vmacNameValid(s), 'boolean');
      }),
    );
  });
});
