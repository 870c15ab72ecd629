/**
 * A firewall-mark rule as lvsd classifies packets by it: the matches of an iptables `-j MARK` or
 * nftables `meta mark set` rule that IPVS setups use (protocol, destination and source prefix,
 * port sets, input interface) and the mark it sets. The kernel's ip_vs_in() sees `skb->mark`
 * set by such rules before ip_vs_service_find() looks the fwmark table up first; lvsd's packet
 * plane never passes the host's netfilter, so it evaluates these rules itself (engine/mark-table.ts).
 * Plain data: the parsers (config/marks) produce it, the engine compiles it.
 */
import type { Af } from './addr.js';

/** IP protocol numbers a rule may name; 0 matches TCP, UDP and SCTP alike. */
export const MARK_PROTOS = { any: 0, tcp: 6, udp: 17, sctp: 132 } as const;

/** An address prefix: `bytes` (4 or 16) with the first `len` bits significant. */
export interface MarkPrefix {
  readonly af: Af;
  readonly bytes: Uint8Array;
  readonly len: number;
}

/** Inclusive port ranges; a single port is [p, p]. */
export type PortRanges = readonly (readonly [number, number])[];

/** One classification rule. Absent fields match everything. */
export interface MarkRule {
  /** 0 (any of TCP/UDP/SCTP), 6, 17 or 132. */
  readonly proto: number;
  /** The family the rule's addresses fix, or undefined when it has none (both families). */
  readonly af?: Af;
  readonly dst?: MarkPrefix;
  readonly src?: MarkPrefix;
  readonly dport?: PortRanges;
  readonly sport?: PortRanges;
  /** Input interface name (`iif`, iptables `-i`, nft `iifname`). */
  readonly iif?: string;
  /** The mark set, 1..0xffffffff. */
  readonly mark: number;
  /** Where the rule came from (`file:line` or `--mark #n`), for log lines. */
  readonly origin: string;
}

/** Whether some rule of `rules` can set `mark` on packets of family `af`. */
export function marksProduce(rules: readonly MarkRule[], af: Af, mark: number): boolean {
  return rules.some((r) => r.mark === mark >>> 0 && (r.af === undefined || r.af === af));
}
