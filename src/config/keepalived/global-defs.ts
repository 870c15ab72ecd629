/**
 * `global_defs` (keepalived.conf(5), keepalived/core/global_parser.c). LVS- and VRRP-relevant
 * keywords are modelled; the other documented keywords (process tuning, SNMP, D-Bus, nftables, ...)
 * are accepted and kept as written in `extra` so a real-world file checks clean.
 */
import { canonicalIp } from '../../core/addr.js';
import { MAX_TIMEOUT_S } from '../../core/settings.js';
import type { Diagnostics } from '../diagnostics.js';
import type { GlobalSettings } from '../model.js';
import type { Node } from './tree.js';
import { bool, int, str, timer } from './values.js';
import { checkGlobalExtra, mcastGroup } from './vrrp-extra.js';

/** Mutable global settings while parsing. */
export interface RawGlobals {
  g: { -readonly [K in keyof GlobalSettings]: GlobalSettings[K] };
  vrrpStrict: boolean;
  vrrpVersion: 2 | 3;
  mcast4: string;
  mcast6: string;
  extra: Record<string, string[]>;
}

/** Accepted global_defs keywords with no model field (keepalived.conf(5) "Global definitions"). */
const ACCEPTED = new Set(
  (
    'bfd_cpu_affinity bfd_no_swap bfd_priority bfd_process_name bfd_rlimit_rttime bfd_rt_priority ' +
    'checker_cpu_affinity checker_log_all_failures checker_no_swap checker_priority checker_process_name ' +
    'checker_rlimit_rttime checker_rt_priority child_wait_time config_save_dir data_use_instance ' +
    'dbus_service_name default_interface disable_local_igmp dynamic_interfaces enable_dbus ' +
    'enable_script_security enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3 ' +
    'enable_snmp_vrrp enable_snmp_keepalived enable_traps fifo_write_vrrp_states_on_reload include_check instance ' +
    'linkbeat_use_polling log_unknown_vrids lvs_flush_on_stop lvs_netlink_cmd_rcv_bufs ' +
    'lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force ' +
    'lvs_notify_fifo lvs_notify_fifo_script max_auto_priority min_auto_priority_delay ' +
    'namespace_with_ipsets net_namespace net_namespace_ipvs nftables nftables_counters nftables_ifindex ' +
    'nftables_ipvs nftables_ipvs_priority nftables_ipvs_start_fwmark nftables_priority no_checker_emails ' +
    'no_email_faults notify_fifo notify_fifo_script process_monitor_rcv_bufs ' +
    'process_monitor_rcv_bufs_force process_name process_names random_seed reload_check_config ' +
    'reload_file reload_repeat reload_time_file rs_init_notifies script_user shutdown_script ' +
    'shutdown_script_timeout smtp_alert smtp_alert_checker smtp_alert_vrrp smtp_connect_timeout ' +
    'smtp_helo_name snmp_socket startup_script startup_script_timeout tmp_config_directory umask ' +
    'use_pid_dir vmac_addr_prefix vmac_prefix vrrp_check_unicast_src vrrp_cpu_affinity ' +
    'vrrp_down_timer_adverts vrrp_garp_extra_if vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat ' +
    'vrrp_garp_master_delay vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat ' +
    'vrrp_garp_master_repeat vrrp_higher_prio_send_advert vrrp_ipsets vrrp_iptables ' +
    'vrrp_lower_prio_no_advert vrrp_min_garp vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force ' +
    'vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force vrrp_no_swap vrrp_notify_fifo ' +
    'vrrp_notify_fifo_script vrrp_notify_priority_changes vrrp_priority vrrp_process_name ' +
    'vrrp_rlimit_rttime vrrp_rt_priority vrrp_rx_bufs_multiplier vrrp_rx_bufs_policy ' +
    'vrrp_skip_check_adv_addr vrrp_startup_delay snmp_vs_stats_update_interval ' +
    'snmp_rs_stats_update_interval vrrp_gna_interval vrrp_garp_interval'
  ).split(' '),
);

/** Parses the body of a global_defs block into `rg`. */
export function parseGlobalDefs(d: Diagnostics, n: Node, rg: RawGlobals): void {
  for (const c of n.children ?? []) {
    switch (c.kw) {
      case 'router_id':
        rg.g.routerId = str(d, c) ?? rg.g.routerId;
        break;
      case 'notification_email':
        rg.g.notificationEmail = [
          ...rg.g.notificationEmail,
          ...(c.children ?? []).flatMap((x) => [x.kw, ...x.args]),
          ...c.args,
        ];
        break;
      case 'notification_email_from':
        rg.g.notificationEmailFrom = str(d, c) ?? rg.g.notificationEmailFrom;
        break;
      case 'smtp_server':
        rg.g.smtpServer = str(d, c) ?? rg.g.smtpServer;
        break;
      case 'lvs_timeouts':
        lvsTimeouts(d, c, rg);
        break;
      case 'lvs_flush':
        rg.g.lvsFlush = true;
        break;
      case 'lvs_sync_daemon':
        lvsSyncDaemon(d, c, rg);
        break;
      case 'vrrp_strict':
        rg.vrrpStrict = true;
        break;
      case 'vrrp_version': {
        const v = int(d, c, 0, 2, 3);
        if (v !== undefined) rg.vrrpVersion = v as 2 | 3;
        break;
      }
      case 'vrrp_mcast_group4':
      case 'vrrp_mcast_group6': {
        const want = c.kw.endsWith('4') ? 4 : 6;
        const a = mcastGroup(d, c, want);
        if (a !== undefined && want === 4) rg.mcast4 = a;
        else if (a !== undefined) rg.mcast6 = a;
        break;
      }
      case 'vrrp_garp_interval':
      case 'vrrp_gna_interval':
        // keepalived.conf(5)'s timer range starts at 1 µs: `0` is reported invalid (Debian's sample
        // hits this).
        if (timer(d, c) !== undefined) rg.extra[c.kw] = [...c.args];
        break;
      case 'smtp_connect_timeout':
        if (int(d, c, 0, 1, 2147483647) !== undefined) rg.extra[c.kw] = [...c.args];
        break;
      case 'smtp_alert':
      case 'smtp_alert_checker':
      case 'smtp_alert_vrrp':
        if (bool(d, c) !== undefined) rg.extra[c.kw] = [...c.args];
        break;
      case 'v3_checksum_as_v2':
        // Unknown to keepalived 2.2.7's `-t` (a later keepalived's keyword); lvsd's VRRP binding reads it.
        d.error(
          'ERR_CONFIG_UNKNOWN_KEYWORD',
          `unknown keyword '${c.kw}' in keepalived 2.2.7 (a later keepalived's; lvsd applies it)`,
          c,
        );
        rg.extra[c.kw] = [...c.args];
        break;
      default:
        if (ACCEPTED.has(c.kw)) {
          checkGlobalExtra(d, c);
          rg.extra[c.kw] = [...c.args];
        } else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${c.kw}'`, c);
    }
  }
}

function lvsTimeouts(d: Diagnostics, c: Node, rg: RawGlobals): void {
  const t = { ...rg.g.lvsTimeouts };
  for (let i = 0; i < c.args.length; i += 2) {
    const k = c.args[i]!;
    const v = Number(c.args[i + 1]);
    if ((k === 'tcp' || k === 'tcpfin' || k === 'udp') && Number.isInteger(v) && v >= 1 && v <= 86400 * 31) {
      t[k] = v;
      // keepalived allows 31 days; the kernel refuses more than INT_MAX/HZ s (ip_vs_ctl.c
      // ip_vs_set_timeout), so does the table (settings.ts MAX_TIMEOUT_S): lvsd would log it at start.
      if (v > MAX_TIMEOUT_S)
        d.error(
          'ERR_LVS_INVALID',
          `lvs_timeouts: ${k} ${v} is above ${MAX_TIMEOUT_S} s (the table would refuse it)`,
          c,
        );
    } else d.error('ERR_CONFIG_BAD_VALUE', `lvs_timeouts: invalid '${k} ${c.args[i + 1] ?? ''}'`, c);
  }
  rg.g.lvsTimeouts = t;
}

/** IP_VS_IFNAME_MAXLEN (include/uapi/linux/ip_vs.h): names of 16 bytes or more do not fit. */
const IFNAME_MAX = 15;

type SyncDaemonDraft = {
  -readonly [K in keyof NonNullable<GlobalSettings['lvsSyncDaemon']>]: NonNullable<
    GlobalSettings['lvsSyncDaemon']
  >[K];
};

/**
 * `lvs_sync_daemon IF [inst VI] [id N] [maxlen L] [port P] [ttl T] [group ADDR]` as keepalived
 * 2.2.7's global_parser.c lvs_syncd_handler() reads it: a second one is ignored, a too long
 * interface name drops it, a keyword without a value or with a bad one is reported and skipped,
 * and the pre-"id" form `IF VI [SYNCID]` is still taken (the bare syncid with a report). Every
 * report is an error, as report_config_error() counts them.
 */
function lvsSyncDaemon(d: Diagnostics, c: Node, rg: RawGlobals): void {
  const prev = rg.g.lvsSyncDaemon;
  if (prev) {
    d.error(
      'ERR_CONFIG_DUPLICATE',
      `lvs_sync_daemon has already been specified as ${prev.ifname} ${prev.instance ?? ''} - ignoring`,
      c,
    );
    return;
  }
  const ifname = c.args[0];
  if (!ifname) {
    d.error('ERR_CONFIG_MISSING_VALUE', 'lvs_sync_daemon requires interface', c);
    return;
  }
  if (ifname.length > IFNAME_MAX) {
    d.error('ERR_CONFIG_BAD_VALUE', `lvs_sync_daemon interface name '${ifname}' too long - ignoring`, c);
    return;
  }
  const s: SyncDaemonDraft = { ifname };
  const nums: Record<string, [keyof SyncDaemonDraft, number, number, string]> = {
    id: ['syncId', 0, 255, 'defaulting to vrid'],
    maxlen: ['maxLen', 1, 65535 - 20 - 8, 'ignoring'],
    port: ['port', 1, 65535, 'ignoring'],
    ttl: ['ttl', 1, 255, 'ignoring'],
  };
  const n = c.args.length;
  for (let i = 1; i < n; i++) {
    const k = c.args[i]!;
    const v = c.args[i + 1];
    const spec = nums[k];
    if (k === 'inst') {
      if (s.instance !== undefined)
        d.error(
          'ERR_CONFIG_DUPLICATE',
          `lvs_sync_daemon vrrp instance has already been specified as ${s.instance} - ignoring`,
          c,
        );
      else if (v !== undefined) s.instance = v;
      i++;
    } else if (spec || k === 'group') {
      if (v === undefined) {
        const what = k === 'id' ? 'id, defaulting to vrid' : `${k} - ignoring`;
        d.error('ERR_CONFIG_MISSING_VALUE', `No value specified for lvs_sync_daemon ${what}`, c);
        continue;
      }
      i++;
      if (spec) {
        const x = Number(v);
        const label = k === 'id' ? 'syncid' : `lvs_sync_daemon ${k}`;
        if (!/^\d+$/.test(v) || x < spec[1] || x > spec[2])
          d.error('ERR_CONFIG_BAD_VALUE', `Invalid ${label} (${v}) - ${spec[3]}`, c);
        else (s as Record<string, unknown>)[spec[0]] = x;
      } else {
        const a = canonicalIp(v);
        if (a === undefined)
          d.error('ERR_CONFIG_BAD_VALUE', `Invalid lvs_sync_daemon group (${v}) - ignoring`, c);
        else if (!isMulticast(a))
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            `lvs_sync_daemon group address ${v} is not multicast - ignoring`,
            c,
          );
        else s.group = a;
      }
    } else if (i === 1) {
      // The form before "inst" existed: lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID].
      s.instance = k;
    } else if (i === 2) {
      const x = Number(k);
      if (!/^\d+$/.test(k) || x > 255)
        d.error('ERR_CONFIG_BAD_VALUE', `Invalid syncid (${k}) - defaulting to vrid`, c);
      else {
        d.error('ERR_CONFIG_DEPRECATED', 'Please use keyword "id" before lvs_sync_daemon SYNCID', c);
        s.syncId = x;
      }
    } else d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `Unknown option ${k} specified for lvs_sync_daemon`, c);
  }
  rg.g.lvsSyncDaemon = s;
}

function isMulticast(a: string): boolean {
  return a.includes(':') ? a.startsWith('ff') : (Number(a.split('.')[0]) & 0xf0) === 0xe0;
}
