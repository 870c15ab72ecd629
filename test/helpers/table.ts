/** Test helpers: service keys, configs and a table with a minimal first-eligible scheduler. */
import type { Scheduler } from '../../src/core/schedulers/scheduler.js';
import { ServiceTable } from '../../src/core/service-table.js';
import { type DestConfig, FWD, PROTO, type ServiceConfig, type ServiceKey } from '../../src/core/types.js';

/** A scheduler that picks the first eligible dest in list order (for table tests only). */
export function firstScheduler(): Scheduler {
  return {
    name: 'first',
    init() {},
    destChanged() {},
    schedule(svc) {
      return svc.dests.find((d) => d.weight > 0 && !d.overloaded) ?? null;
    },
  };
}

/** A table whose only schedulers are `first` (under the names rr and wlc too). */
export function testTable(): ServiceTable {
  return new ServiceTable({
    schedulers: (n) => (n === 'first' || n === 'rr' || n === 'wlc' ? firstScheduler : undefined),
  });
}

/** A TCP service key. */
export function tcp(addr: string, port: number): ServiceKey {
  return { kind: 'addr', af: addr.includes(':') ? 6 : 4, protocol: PROTO.TCP, addr, port };
}

/** A UDP service key. */
export function udp(addr: string, port: number): ServiceKey {
  return { kind: 'addr', af: addr.includes(':') ? 6 : 4, protocol: PROTO.UDP, addr, port };
}

/** A service config with ipvsadm's defaults, overridable. */
export function svcConfig(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '', ...over };
}

/** A dest config with ipvsadm's defaults (DR, weight 1), overridable. */
export function destConfig(addr: string, port: number, over: Partial<DestConfig> = {}): DestConfig {
  return {
    addr,
    port,
    af: addr.includes(':') ? 6 : 4,
    fwd: FWD.DROUTE,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
    ...over,
  };
}
