/**
 * Which VRRP addresses the packet plane owns: the VIPs of every instance as the VRRP runner last
 * reported it (DataPlaneHandle.vrrpOwn), folded into the addresses to hold back from the engine
 * (Engine.withhold) and from the ingress bypass. A Backup router answers no ARP or neighbour
 * solicitation for the virtual router's addresses and accepts no packet addressed to them (RFC
 * 5798 §6.4.2), so an address is held back while no instance that lists it is MASTER. Built off
 * the hot path, on each report.
 */
import type { VrrpVip } from '../../control/ports.js';
import { key4, key6, type ParsedVip, parseVip } from '../vrrp-vip.js';

/** The VRRP instances' addresses and which of them this director holds back. */
export class VrrpOwnership {
  private readonly instances = new Map<string, { vips: readonly ParsedVip[]; master: boolean }>();
  private all = new Set<string>();
  private held = new Set<string>();
  /** IPv4 addresses to hold back (host-order u32). */
  held4: number[] = [];
  /** IPv6 addresses to hold back (16 bytes each). */
  held6: Uint8Array[] = [];
  /** IPv4 addresses of the MASTER instances, to answer for (host-order u32; Engine.own). */
  owned4: number[] = [];
  /** IPv6 addresses of the MASTER instances, to answer for (16 bytes each). */
  owned6: Uint8Array[] = [];

  /** Records instance `name`'s VIPs and whether it is MASTER, and recomputes the held sets. */
  set(name: string, vips: readonly VrrpVip[], master: boolean): void {
    this.instances.set(name, { vips: vips.flatMap((v) => parseVip(v) ?? []), master });
    const owned = new Set<string>();
    const owned4: number[] = [];
    const owned6: Uint8Array[] = [];
    for (const i of this.instances.values()) {
      if (!i.master) continue;
      for (const v of i.vips) {
        if (owned.has(v.key)) continue;
        owned.add(v.key);
        if (v.af === 4) owned4.push(v.v4);
        else owned6.push(v.v6);
      }
    }
    this.owned4 = owned4;
    this.owned6 = owned6;
    const all = new Set<string>();
    const held = new Set<string>();
    const held4: number[] = [];
    const held6: Uint8Array[] = [];
    for (const i of this.instances.values()) {
      for (const v of i.vips) {
        all.add(v.key);
        if (owned.has(v.key) || held.has(v.key)) continue;
        held.add(v.key);
        if (v.af === 4) held4.push(v.v4);
        else held6.push(v.v6);
      }
    }
    this.all = all;
    this.held = held;
    this.held4 = held4;
    this.held6 = held6;
  }

  /** True when the IPv4 address `a` (host-order u32) is a VIP of some VRRP instance. */
  isVrrp4(a: number): boolean {
    return this.all.has(key4(a));
  }

  /** True when the IPv6 address `a` (16 bytes) is a VIP of some VRRP instance. */
  isVrrp6(a: Uint8Array): boolean {
    return this.all.has(key6(a));
  }

  /**
   * The instances listing address `v` when it is held back (none of them MASTER here), for the
   * status view; empty when it is not held.
   */
  heldBy(v: Pick<VrrpVip, 'af' | 'addr'>): string[] {
    const p = parseVip(v);
    if (p === undefined || !this.held.has(p.key)) return [];
    const out: string[] = [];
    for (const [name, i] of this.instances) if (i.vips.some((x) => x.key === p.key)) out.push(name);
    return out;
  }

  /** True when the IPv4 address `a` (host-order u32) is held back (no instance owning it is MASTER). */
  isHeld4(a: number): boolean {
    return this.held.has(key4(a));
  }
}
