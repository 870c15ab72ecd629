/**
 * Value checks for the VRRP keywords lvsd accepts and keeps as written (vrrp_instance extras and
 * global_defs vrrp_* tuning), so `--check-config` reports a bad value where `keepalived -t`
 * reports one. Ranges are keepalived 2.2.7's: keepalived/vrrp/vrrp_parser.c (instance handlers)
 * and keepalived/core/global_parser.c (global handlers), both via lib/parser.c
 * read_unsigned_strvec() / read_int_strvec() / check_true_false().
 */
import { canonicalIp, ipFamily } from '../../core/addr.js';
import type { Diagnostics } from '../diagnostics.js';
import type { Node } from './tree.js';
import { bool, int, timer } from './values.js';

type Check =
  | { readonly k: 'int'; readonly min: number; readonly max: number }
  | { readonly k: 'bool' }
  | { readonly k: 'timer' }
  | { readonly k: 'mcast' }
  | { readonly k: 'extra_if'; readonly min: number }
  | { readonly k: 'deprecated'; readonly text: string };

const UINT = 4294967295;
const I = (min: number, max: number): Check => ({ k: 'int', min, max });
const B: Check = { k: 'bool' };

/** vrrp_instance keywords kept as written whose value keepalived checks (vrrp_parser.c handlers). */
const INSTANCE: Record<string, Check> = {
  garp_master_refresh: I(0, UINT),
  garp_master_refresh_repeat: I(0, UINT),
  garp_lower_prio_delay: I(0, Math.floor(UINT / 1e6)),
  garp_lower_prio_repeat: I(0, 2147483647),
  garp_extra_if: { k: 'extra_if', min: 0 },
  down_timer_adverts: I(1, 100),
  unicast_ttl: I(0, 255),
  lower_prio_no_advert: B,
  higher_prio_send_advert: B,
  skip_check_adv_addr: B,
  strict_mode: B,
  smtp_alert: B,
  mcast_dst_ip: { k: 'mcast' },
  linkbeat_use_polling: {
    k: 'deprecated',
    text: "'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
  },
};

/** global_defs vrrp_* keywords kept as written whose value keepalived checks (global_parser.c). */
const GLOBAL: Record<string, Check> = {
  vrrp_garp_master_delay: I(0, Math.floor(UINT / 1e6)),
  vrrp_garp_master_repeat: I(0, UINT),
  vrrp_garp_master_refresh: I(0, UINT),
  vrrp_garp_master_refresh_repeat: I(0, UINT),
  vrrp_garp_lower_prio_delay: I(0, Math.floor(UINT / 1e6)),
  vrrp_garp_lower_prio_repeat: I(0, 2147483647),
  vrrp_garp_extra_if: { k: 'extra_if', min: 1 },
  vrrp_down_timer_adverts: I(1, 100),
  vrrp_min_garp: B,
  vrrp_lower_prio_no_advert: B,
  vrrp_higher_prio_send_advert: B,
  // setpriority(2) nice range; vrrp_prio_handler() reads it with read_int_strvec(-20, 19).
  vrrp_priority: I(-20, 19),
  // vrrp_rt_priority_handler(): above sched_get_priority_max(SCHED_RR) (99) is reported and clamped.
  vrrp_rt_priority: I(1, 99),
  vrrp_startup_delay: { k: 'timer' },
  // keepalived 2.2.7 as Debian builds it has no iptables support: vrrp_iptables_handler() reports
  // "iptables not supported, using nftables instead" for both keywords.
  vrrp_iptables: { k: 'deprecated', text: 'iptables not supported, using nftables instead' },
  vrrp_ipsets: { k: 'deprecated', text: 'iptables not supported, using nftables instead' },
};

function isMulticast(a: string): boolean {
  if (ipFamily(a) === 6) return a.toLowerCase().startsWith('ff');
  const first = Number(a.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** Checks a multicast group address argument as keepalived does ("... not multicast. Skipping"). */
export function mcastGroup(d: Diagnostics, c: Node, family?: 4 | 6): string | undefined {
  const a = canonicalIp(c.args[0] ?? '');
  if (a === undefined || (family !== undefined && ipFamily(a) !== family) || !isMulticast(a)) {
    d.error('ERR_CONFIG_BAD_VALUE', `${c.kw} '${c.args[0] ?? ''}' is not multicast - skipping`, c);
    return undefined;
  }
  return a;
}

function run(d: Diagnostics, c: Node, ch: Check): void {
  switch (ch.k) {
    case 'int':
      int(d, c, 0, ch.min, ch.max);
      return;
    case 'bool':
      bool(d, c);
      return;
    case 'timer':
      timer(d, c);
      return;
    case 'mcast':
      mcastGroup(d, c);
      return;
    case 'extra_if':
      // `all` or a delay in seconds, optionally after the interface name (vrrp_garp_extra_if_handler()).
      if (c.args.length === 0) d.error('ERR_CONFIG_MISSING_VALUE', `${c.kw} specified without time`, c);
      else if (c.args[0] !== 'all') int(d, c, 0, ch.min, 86400);
      return;
    case 'deprecated':
      d.warn('ERR_CONFIG_DEPRECATED', `${c.kw}: ${ch.text}`, c);
      return;
  }
}

/** Checks the value of a vrrp_instance keyword that lvsd keeps as written. */
export function checkInstanceExtra(d: Diagnostics, c: Node): void {
  const ch = INSTANCE[c.kw];
  if (ch) run(d, c, ch);
}

/** Checks the value of a global_defs vrrp keyword that lvsd keeps as written. */
export function checkGlobalExtra(d: Diagnostics, c: Node): void {
  const ch = GLOBAL[c.kw];
  if (ch) run(d, c, ch);
}
