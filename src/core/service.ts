/** A virtual service at run time: its key, settings, dest list in kernel order, and scheduler. */
import { type Af, ipBytes, parseIPv4 } from './addr.js';
import type { Dest } from './dest.js';
import type { SchedulerHooks } from './schedulers/scheduler-hooks.js';
import { Stats } from './stats.js';
import type { ServiceConfig, ServiceKey } from './types.js';

/** One virtual service. */
export class Service {
  /** Unique small integer: connection tables refer to services by it. */
  readonly id: number;
  readonly key: ServiceKey;
  readonly af: Af;
  /** Protocol number; fwmark services carry TCP internally, as the kernel forces. */
  readonly protocol: number;
  /** VIP bytes (4 or 16), or null for fwmark services. */
  readonly addrBytes: Uint8Array | null;
  readonly port: number;
  readonly fwmark: number;
  config: ServiceConfig;
  /** IPv4 persistence mask as a host-order u32 (IPv6 services use `prefixLen`). */
  mask4 = 0xffffffff;
  /** IPv6 persistence prefix length. */
  prefixLen = 128;
  /** Destinations in kernel list order: index 0 is the head, the most recently added. */
  readonly dests: Dest[] = [];
  /** The scheduler: schedulers/scheduler.ts `Scheduler`, named by its hooks (that file imports this). */
  sched: SchedulerHooks<Dest, Service> | null = null;
  readonly stats = new Stats();
  /** FULLNAT local addresses (LIPs), our extension. */
  readonly laddrs: string[] = [];

  constructor(id: number, key: ServiceKey, config: ServiceConfig) {
    this.id = id;
    this.key = key;
    this.af = key.af;
    if (key.kind === 'addr') {
      this.protocol = key.protocol;
      this.addrBytes = ipBytes(key.addr) ?? new Uint8Array(key.af === 6 ? 16 : 4);
      this.port = key.port;
      this.fwmark = 0;
    } else {
      this.protocol = 6;
      this.addrBytes = null;
      this.port = 0;
      this.fwmark = key.fwmark;
    }
    this.config = config;
    this.setNetmask(config.netmask);
  }

  /** Stores the persistence netmask (IPv4 dotted quad or IPv6 prefix length). */
  setNetmask(netmask: string): void {
    if (this.af === 4) this.mask4 = parseIPv4(netmask) ?? 0xffffffff;
    else this.prefixLen = Number(netmask) || 128;
  }

  /** True when the service has the PERSISTENT flag. */
  get persistent(): boolean {
    return (this.config.flags & 1) !== 0;
  }

  /** True when UDP one-packet scheduling is on. */
  get onePacket(): boolean {
    return (this.config.flags & 4) !== 0;
  }
}
