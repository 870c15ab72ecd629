/** Test rig for the VRRP runner: routers on one FakeVrrpNetwork, a shared FakeClock, fake host and scripts. */
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import type { LvsModel } from '../../src/config/model.js';
import type { DataPlaneHandle, VrrpVip } from '../../src/control/ports.js';
import type { VrrpHost, VrrpScripts } from '../../src/daemon/vrrp/vrrp-host.js';
import { VrrpRunner } from '../../src/daemon/vrrp/vrrp-runner.js';
import { FakeVrrpTrackIo } from '../../src/daemon/vrrp/vrrp-track-io.js';
import { FakeClock } from '../../src/health/fake-prober.js';
import type { RunAs } from '../../src/health/probes/misc.js';
import { FakeVrrpNetwork } from '../../src/vrrp/fake-vrrp-transport.js';
import { memIo } from '../config/mem-io.js';

const P = '/etc/keepalived/keepalived.conf';

/** Parses keepalived.conf text into the model. */
export function model(text: string): LvsModel {
  return parseKeepalived(P, memIo({ [P]: text }), {}).model;
}

/** Options of {@link conf}. */
export interface ConfOpts {
  name?: string;
  prio?: number;
  state?: 'MASTER' | 'BACKUP';
  vrid?: number;
  iface?: string;
  /** Extra lines inside the instance block. */
  extra?: string;
  vips?: string;
}

/** One vrrp_instance block (v2, advert_int 1 unless `extra` overrides). */
export function conf(o: ConfOpts = {}): string {
  return `vrrp_instance ${o.name ?? 'VI_1'} {
    state ${o.state ?? 'BACKUP'}
    interface ${o.iface ?? 'eth0'}
    virtual_router_id ${o.vrid ?? 51}
    priority ${o.prio ?? 100}
    advert_int 1
${o.extra ?? ''}    virtual_ipaddress {
        ${o.vips ?? '192.0.2.100/24'}
    }
}
`;
}

/** A host whose primary address (undefined: none) and links the test sets. */
export class FakeHost implements VrrpHost {
  readonly links = new Map<string, boolean>();
  constructor(public addr: string | undefined) {}
  primaryAddress(): string | undefined {
    return this.addr;
  }
  linkUp(ifname: string): boolean | undefined {
    return this.links.get(ifname);
  }
}

/** Scripts whose vrrp_script results the test sets (by argv[0]) and whose notifies are recorded. */
export class FakeScripts implements VrrpScripts {
  readonly results = new Map<string, boolean>();
  readonly notified: string[][] = [];
  /** Who each check and notify was to run as, in call order. */
  readonly checkedAs: (RunAs | undefined)[] = [];
  readonly notifiedAs: (RunAs | undefined)[] = [];
  check(argv: readonly string[], _timeoutMs?: number, as?: RunAs): Promise<boolean> {
    this.checkedAs.push(as);
    return Promise.resolve(this.results.get(argv[0] ?? '') ?? true);
  }
  notify(argv: readonly string[], as?: RunAs): void {
    this.notified.push([...argv]);
    this.notifiedAs.push(as);
  }
}

/** A data plane recording the VRRP calls. */
export function recordingPlane(): DataPlaneHandle & { calls: string[] } {
  const calls: string[] = [];
  const list = (vips: readonly VrrpVip[]) => vips.map((v) => `${v.addr}/${v.prefix}@${v.dev}`).join(',');
  return {
    name: 'none',
    calls,
    onChanges() {},
    vipStatus: () => [],
    vrrpOwn(instance, vips, master) {
      calls.push(`${master ? 'own' : 'release'} ${instance} ${list(vips)}`);
      return Promise.resolve();
    },
    vrrpAnnounce(vips) {
      calls.push(`announce ${list(vips)}`);
    },
    close: () => Promise.resolve(),
  };
}

/** One segment with a shared clock; `router()` adds a director. */
export function segment() {
  const net = new FakeVrrpNetwork();
  const clock = new FakeClock(1_000_000);
  const router = (addr: string, text: string) => {
    const transport = net.transport(addr);
    const host = new FakeHost(addr);
    const scripts = new FakeScripts();
    const plane = recordingPlane();
    const trackIo = new FakeVrrpTrackIo();
    const runner = new VrrpRunner({ model: model(text), transport, host, clock, scripts, plane, trackIo });
    const state = (name = 'VI_1') => runner.view().instances.find((i) => i.name === name)?.state;
    return { runner, transport, host, scripts, plane, state, trackIo };
  };
  return { net, clock, router };
}
