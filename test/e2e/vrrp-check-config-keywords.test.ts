/**
 * `lvsd --check-config` against `keepalived -t` (Debian's keepalived 2.2.7, run live as the
 * oracle in a namespace whose only interfaces are eth0 and eth1), one VRRP keyword at a time:
 * every vrrp keyword of the Debian samples and every vrrp keyword lvsd's parser knows gets a valid
 * use both accept (exit 0), and each keyword taking a value gets one invalid value keepalived -t
 * reports; lvsd must then report an error at that file:line with a stable ERR_CONFIG_* code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkKeepalived } from '../../src/config/keepalived/index.js';
import { groupExists, userExists } from '../../src/daemon/config-loader.js';
import { createNetns, type Netns, netnsSkipReason } from '../helpers/netns.js';

/** Where the keyword under test goes. */
type Ctx = 'global' | 'script' | 'instance' | 'sync' | 'top';

/**
 * One keyword: a line keepalived -t accepts (`good`), and (for keywords with a value) one it
 * reports (`bad`). A keyword 2.2.7 does not know has only `bad`; a deprecated one only `bad` too.
 */
interface Case {
  readonly ctx: Ctx;
  readonly kw: string;
  readonly good?: string;
  readonly bad?: string;
  /** Lines for VI_1 that go with the case (the keyword under test is in another block). */
  readonly inst?: string;
}

const c = (ctx: Ctx, kw: string, good?: string, bad?: string): Case => ({
  ctx,
  kw,
  ...(good !== undefined ? { good } : {}),
  ...(bad !== undefined ? { bad } : {}),
});
const PEER = 'unicast_peer {\n 192.0.2.2\n }';

/** The keyword table (values from keepalived.conf(5) of 2.2.7; bad values are what -t reports). */
const CASES: readonly Case[] = [
  // global_defs, vrrp part (keepalived/core/global_parser.c)
  c('global', 'vrrp_strict', 'vrrp_strict'),
  c('global', 'vrrp_version', 'vrrp_version 3', 'vrrp_version 4'),
  c('global', 'vrrp_mcast_group4', 'vrrp_mcast_group4 224.0.0.19', 'vrrp_mcast_group4 10.0.0.1'),
  c('global', 'vrrp_mcast_group6', 'vrrp_mcast_group6 ff02::13', 'vrrp_mcast_group6 2001:db8::1'),
  c('global', 'vrrp_garp_interval', 'vrrp_garp_interval 0.01', 'vrrp_garp_interval abc'),
  c('global', 'vrrp_gna_interval', 'vrrp_gna_interval 0.01', 'vrrp_gna_interval abc'),
  c('global', 'vrrp_garp_master_delay', 'vrrp_garp_master_delay 3', 'vrrp_garp_master_delay abc'),
  c('global', 'vrrp_garp_master_repeat', 'vrrp_garp_master_repeat 2', 'vrrp_garp_master_repeat abc'),
  c('global', 'vrrp_garp_master_refresh', 'vrrp_garp_master_refresh 60', 'vrrp_garp_master_refresh abc'),
  c(
    'global',
    'vrrp_garp_master_refresh_repeat',
    'vrrp_garp_master_refresh_repeat 2',
    'vrrp_garp_master_refresh_repeat abc',
  ),
  c('global', 'vrrp_garp_lower_prio_delay', 'vrrp_garp_lower_prio_delay 2', 'vrrp_garp_lower_prio_delay abc'),
  c(
    'global',
    'vrrp_garp_lower_prio_repeat',
    'vrrp_garp_lower_prio_repeat 2',
    'vrrp_garp_lower_prio_repeat abc',
  ),
  c('global', 'vrrp_min_garp', 'vrrp_min_garp', 'vrrp_min_garp maybe'),
  c('global', 'vrrp_garp_extra_if', 'vrrp_garp_extra_if 30', 'vrrp_garp_extra_if abc'),
  c('global', 'vrrp_lower_prio_no_advert', 'vrrp_lower_prio_no_advert', 'vrrp_lower_prio_no_advert maybe'),
  c(
    'global',
    'vrrp_higher_prio_send_advert',
    'vrrp_higher_prio_send_advert',
    'vrrp_higher_prio_send_advert maybe',
  ),
  c('global', 'vrrp_check_unicast_src', 'vrrp_check_unicast_src'),
  c('global', 'vrrp_skip_check_adv_addr', 'vrrp_skip_check_adv_addr'),
  c('global', 'vrrp_down_timer_adverts', 'vrrp_down_timer_adverts 5', 'vrrp_down_timer_adverts 200'),
  c('global', 'vrrp_priority', 'vrrp_priority -10', 'vrrp_priority -30'),
  c('global', 'vrrp_no_swap', 'vrrp_no_swap'),
  c('global', 'vrrp_rt_priority', 'vrrp_rt_priority 10', 'vrrp_rt_priority 1000'),
  c('global', 'vrrp_startup_delay', 'vrrp_startup_delay 5', 'vrrp_startup_delay abc'),
  c('global', 'vrrp_notify_priority_changes', 'vrrp_notify_priority_changes'),
  c('global', 'vrrp_iptables', undefined, 'vrrp_iptables'),
  c('global', 'vrrp_ipsets', undefined, 'vrrp_ipsets'),
  c('global', 'vrrp_delay_after_boot', undefined, 'vrrp_delay_after_boot 10'),
  c('global', 'v3_checksum_as_v2', undefined, 'v3_checksum_as_v2'),
  c('instance', 'v3_checksum_as_v2', undefined, 'v3_checksum_as_v2'),
  c('global', 'vrrp_process_name', 'vrrp_process_name kav'),
  c('global', 'vmac_prefix', 'vmac_prefix vm', undefined),
  c('global', 'smtp_alert_vrrp', 'smtp_alert_vrrp', 'smtp_alert_vrrp maybe'),
  c('global', 'script_user', 'script_user root', 'script_user no_such_user_ah'),
  c('global', 'enable_script_security', 'enable_script_security'),
  c('global', 'lvs_sync_daemon', 'lvs_sync_daemon eth0 VI_1', 'lvs_sync_daemon'),
  // vrrp_script (keepalived/vrrp/vrrp_parser.c vrrp_script_handler)
  c('script', 'interval', 'interval 2', 'interval abc'),
  c('script', 'timeout', 'timeout 2', 'timeout abc'),
  c('script', 'weight', 'weight -20', 'weight 300'),
  c('script', 'rise', 'rise 2', 'rise 0'),
  c('script', 'fall', 'fall 2', 'fall 0'),
  c('script', 'init_fail', 'init_fail'),
  c('script', 'user', 'user root', 'user no_such_user_ah'),
  // vrrp_instance (keepalived/vrrp/vrrp_parser.c)
  c('instance', 'interface', 'interface eth1', 'interface nosuch0'),
  c('instance', 'state', 'state BACKUP', 'state LEADER'),
  c('instance', 'virtual_router_id', 'virtual_router_id 60', 'virtual_router_id 256'),
  c('instance', 'priority', 'priority 150', 'priority 256'),
  c('instance', 'advert_int', 'advert_int 2', 'advert_int abc'),
  c('instance', 'version', 'version 2', 'version 4'),
  c('instance', 'nopreempt', 'nopreempt'),
  c('instance', 'preempt', 'preempt'),
  c('instance', 'preempt_delay', 'preempt_delay 10', 'preempt_delay abc'),
  c('instance', 'authentication', 'authentication {\n auth_type PASS\n auth_pass secret\n }'),
  c(
    'instance',
    'auth_type',
    'authentication {\n auth_type AH\n auth_pass secret\n }',
    'authentication {\n auth_type MD5\n auth_pass secret\n }',
  ),
  c(
    'instance',
    'virtual_ipaddress_excluded',
    'virtual_ipaddress_excluded {\n 192.0.2.20\n }',
    'virtual_ipaddress_excluded {\n 192.0.2.300\n }',
  ),
  c('instance', 'unicast_src_ip', `unicast_src_ip 192.0.2.1\n${PEER}`, 'unicast_src_ip 192.0.2.300'),
  c('instance', 'mcast_src_ip', 'mcast_src_ip 192.0.2.1', 'mcast_src_ip nope'),
  c('instance', 'unicast_peer', 'unicast_peer {\n 192.0.2.2\n }', 'unicast_peer {\n 192.0.2.300\n }'),
  c('instance', 'accept', 'accept'),
  c('instance', 'no_accept', 'no_accept'),
  c('instance', 'use_vmac', 'use_vmac'),
  c(
    'instance',
    'track_interface',
    'track_interface {\n eth1 weight 10\n }',
    'track_interface {\n eth1 weight 300\n }',
  ),
  c('instance', 'garp_master_delay', 'garp_master_delay 10', 'garp_master_delay abc'),
  c('instance', 'garp_master_repeat', 'garp_master_repeat 3', 'garp_master_repeat abc'),
  c('instance', 'garp_master_refresh', 'garp_master_refresh 60', 'garp_master_refresh abc'),
  c(
    'instance',
    'garp_master_refresh_repeat',
    'garp_master_refresh_repeat 2',
    'garp_master_refresh_repeat abc',
  ),
  c('instance', 'garp_lower_prio_delay', 'garp_lower_prio_delay 2', 'garp_lower_prio_delay abc'),
  c('instance', 'garp_lower_prio_repeat', 'garp_lower_prio_repeat 2', 'garp_lower_prio_repeat abc'),
  c('instance', 'garp_extra_if', 'garp_extra_if 30', 'garp_extra_if abc'),
  c('instance', 'down_timer_adverts', 'down_timer_adverts 5', 'down_timer_adverts 200'),
  c('instance', 'lower_prio_no_advert', 'lower_prio_no_advert', 'lower_prio_no_advert maybe'),
  c('instance', 'higher_prio_send_advert', 'higher_prio_send_advert', 'higher_prio_send_advert maybe'),
  c('instance', 'dont_track_primary', 'dont_track_primary'),
  c('instance', 'skip_check_adv_addr', 'skip_check_adv_addr', 'skip_check_adv_addr maybe'),
  c('instance', 'strict_mode', 'strict_mode', 'strict_mode maybe'),
  c('instance', 'promote_secondaries', 'promote_secondaries'),
  c('instance', 'unicast_ttl', `unicast_ttl 10\n${PEER}`, `unicast_ttl 300\n${PEER}`),
  c('instance', 'check_unicast_src', `check_unicast_src\n${PEER}`),
  c('instance', 'mcast_dst_ip', 'mcast_dst_ip 224.0.0.19', 'mcast_dst_ip 10.0.0.1'),
  c('instance', 'notify_master', 'notify_master /bin/true'),
  c('instance', 'notify_backup', 'notify_backup /bin/true'),
  c('instance', 'notify_fault', 'notify_fault /bin/true'),
  c('instance', 'notify_stop', 'notify_stop /bin/true'),
  c('instance', 'notify', 'notify /bin/true'),
  c('instance', 'smtp_alert', 'smtp_alert', 'smtp_alert maybe'),
  c('instance', 'virtual_routes', 'virtual_routes {\n 198.51.100.0/24 via 192.0.2.254 dev eth0\n }'),
  c('instance', 'virtual_rules', 'virtual_rules {\n from 192.0.2.10 table 100 priority 100\n }'),
  c('instance', 'lvs_sync_daemon_interface', undefined, 'lvs_sync_daemon_interface eth0'),
  c('instance', 'track_file', 'track_file {\n tf1\n }'),
  c('instance', 'track_src_ip', 'track_src_ip'),
  c('instance', 'native_ipv6', undefined, 'native_ipv6'),
  c('instance', 'kernel_rx_buf_size', 'kernel_rx_buf_size 65536'),
  c('instance', 'track_process', 'track_process {\n tp1\n }'),
  c('instance', 'track_bfd', undefined, 'track_bfd {\n no_such_bfd\n }'),
  c('instance', 'use_vmac_addr', 'use_vmac_addr'),
  c('instance', 'vmac_xmit_base', 'use_vmac\nvmac_xmit_base'),
  c('instance', 'use_ipvlan', 'use_ipvlan ipvl0 192.0.2.50/24'),
  c('instance', 'old_unicast_checksum', `old_unicast_checksum\n${PEER}`),
  c('instance', 'linkbeat_use_polling', undefined, 'linkbeat_use_polling'),
  c('instance', 'notify_deleted', 'notify_deleted'),
  // Keywords of later keepalived versions: unknown to 2.2.7.
  c('instance', 'owner_ignore_adverts', undefined, 'owner_ignore_adverts'),
  c('instance', 'timer_expired_backup', undefined, 'timer_expired_backup'),
  c('instance', 'no_virtual_ipaddress', undefined, 'no_virtual_ipaddress'),
  c('instance', 'notify_master_rx_lower_pri', 'notify_master_rx_lower_pri /bin/true'),
  c('instance', 'notify_priority_changes', 'notify_priority_changes'),
  c('instance', 'unicast_fault_no_peer', 'unicast_fault_no_peer'),
  c('instance', 'debug', 'debug 1'),
  // vrrp_sync_group (keepalived/vrrp/vrrp_parser.c)
  c('sync', 'track_script', 'track_script {\n chk_a\n }'),
  c('sync', 'track_interface', 'track_interface {\n eth1\n }'),
  c('sync', 'notify_master', 'notify_master /bin/true'),
  c('sync', 'notify_backup', 'notify_backup /bin/true'),
  c('sync', 'notify_fault', 'notify_fault /bin/true'),
  c('sync', 'notify_stop', 'notify_stop /bin/true'),
  c('sync', 'notify', 'notify /bin/true'),
  c('sync', 'smtp_alert', 'smtp_alert'),
  c('sync', 'global_tracking', undefined, 'global_tracking'),
  // A member's weighted tracking is dropped in a sync group (reported), kept with this keyword.
  c('sync', 'sync_group_tracking_weight', 'sync_group_tracking_weight'),
  c('sync', 'notify_priority_changes', 'notify_priority_changes'),
  c('sync', 'notify_deleted', undefined, 'notify_deleted'),
  c('sync', 'track_file', 'track_file {\n tf1\n }'),
];

/** keepalived drops members' tracking weights in a sync group unless it keeps them, and the owner's. */
const WEIGHTS: readonly Case[] = [
  {
    ctx: 'sync',
    kw: 'sync_group_tracking_weight',
    good: 'sync_group_tracking_weight',
    inst: 'track_interface {\n eth1 weight 10\n }',
  },
  {
    ctx: 'sync',
    kw: 'sync_group_tracking_weight',
    good: 'sync_group_tracking_weight',
    inst: 'track_script {\n chk_a weight 5\n }',
  },
  { ctx: 'instance', kw: 'track_interface', bad: 'track_interface {\n eth1 weight 10\n }\n priority 255' },
  { ctx: 'instance', kw: 'track_script', bad: 'track_script {\n chk_a weight 5\n }\n priority 255' },
];
const SYNC_BAD: readonly Case[] = [
  {
    ctx: 'sync',
    kw: 'group',
    bad: '# weighted member interface',
    inst: 'track_interface {\n eth1 weight 10\n }',
  },
  { ctx: 'sync', kw: 'group', bad: '# weighted member script', inst: 'track_script {\n chk_a weight 5\n }' },
];

/** A config with one vrrp_script, two instances in a sync group, and `line` in its context. */
function render(k: Case, line: string): { text: string; filled: number[] } {
  const parts: Record<Ctx, string> = { global: '', script: '', instance: '', sync: '', top: '' };
  parts[k.ctx] = line;
  if (k.inst !== undefined) parts.instance = k.inst;
  const text = [
    'global_defs {',
    '    router_id ahtest',
    ...(k.kw === 'script_user' ? [] : ['    script_user root']),
    ...(k.kw === 'enable_script_security' ? [] : ['    enable_script_security']),
    `@@global`,
    '}',
    'vrrp_script chk_a {',
    '    script "/bin/true"',
    '@@script',
    '}',
    ...(k.kw === 'track_file' ? ['vrrp_track_file tf1 {', '    file "/tmp/lvsts-kw-track"', '}'] : []),
    ...(k.kw === 'track_process' ? ['vrrp_track_process tp1 {', '    process keepalived', '}'] : []),
    'vrrp_instance VI_1 {',
    '    interface eth0',
    '    virtual_router_id 51',
    '    priority 100',
    '    virtual_ipaddress {',
    '        192.0.2.10',
    '    }',
    ...(k.inst === undefined ? ['    track_script {', '        chk_a', '    }'] : []),
    '@@instance',
    '}',
    'vrrp_instance VI_2 {',
    '    interface eth0',
    '    virtual_router_id 52',
    '    priority 90',
    '    virtual_ipaddress {',
    '        192.0.2.11',
    '    }',
    '}',
    // Only the sync group cases have one: keepalived ignores members' tracking weights in a group.
    ...(k.ctx === 'sync'
      ? ['vrrp_sync_group G1 {', '    group {', '        VI_1', '        VI_2', '    }', '@@sync', '}']
      : []),
  ].join('\n');
  // The lines filled in (the case's slot and VI_1's extra lines) are where a finding may be.
  const out: string[] = [];
  const filled: number[] = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith('@@')) {
      out.push(l);
      continue;
    }
    const ctx = l.slice(2) as Ctx;
    const add = (parts[ctx] || '# -').split('\n');
    if (ctx === k.ctx || (k.inst !== undefined && ctx === 'instance'))
      filled.push(...add.map((_, j) => out.length + 1 + j));
    out.push(...add);
  }
  return { text: `${out.join('\n')}\n`, filled };
}

const skip =
  netnsSkipReason() ?? (spawnSync('keepalived', ['-v']).status === 0 ? undefined : 'no keepalived');
let ns: Netns | undefined;
let dir = '';
before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'lvsts-kwcheck-'));
  // keepalived -t checks interfaces against the namespace it runs in: give it exactly eth0, eth1.
  ns = createNetns({ namespaces: ['kw'], links: [{ a: 'kw', b: 'kw', aIf: 'eth0', bIf: 'eth1' }] });
});
after(() => {
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const io = {
  readFile: (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob: () => [] as string[],
};
// The host's own user and group lookups (getent), as lvsd --check-config uses them.
const host = {
  interfaceExists: (n: string) => n === 'eth0' || n === 'eth1' || n === 'lo',
  userExists,
  groupExists,
};

/** Runs keepalived -t and lvsd's checker on one rendering. */
function both(name: string, text: string) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  const k = (ns as Netns).exec('kw', ['keepalived', '-t', '-l', '-n', '-f', file], 10_000);
  const out = `${k.stdout}${k.stderr}`;
  const kLine = /Line (\d+)\)/.exec(out)?.[1];
  return {
    file,
    k: { rc: k.status, out, line: kLine ? Number(kLine) : undefined },
    l: checkKeepalived(file, io, host),
  };
}

for (const [i, k] of [...CASES, ...WEIGHTS, ...SYNC_BAD].entries()) {
  const id = `${k.ctx}-${k.kw}-${i}`;
  const good = k.good;
  if (good !== undefined)
    test(`${k.ctx} ${k.kw}: a valid use passes keepalived -t and lvsd --check-config`, (t) => {
      if (skip) return void t.skip(skip);
      const r = both(`${id}-good`, render(k, good).text);
      assert.equal(r.k.rc, 0, `keepalived -t rejects the valid case:\n${r.k.out}`);
      assert.equal(r.l.exitCode, 0, r.l.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
    });
  const bad = k.bad;
  if (bad === undefined) continue;
  test(`${k.ctx} ${k.kw}: '${bad.split('\n').join(' ')}' is reported by both, at the same line`, (t) => {
    if (skip) return void t.skip(skip);
    const { text, filled } = render(k, bad);
    const r = both(`${id}-bad`, text);
    assert.notEqual(r.k.rc, 0, `keepalived -t accepts the invalid case:\n${r.k.out}`);
    // keepalived's own line when it prints one, else any line of what the case filled in.
    const want = r.k.line !== undefined ? [r.k.line] : filled;
    const errs = r.l.diagnostics.filter((d) => d.severity !== 'notice' && d.file === r.file);
    assert.ok(
      errs.some((d) => want.includes(d.line) && /^ERR_CONFIG_[A-Z_]+$/.test(d.code)),
      `lvsd reports no finding at line ${want.join('|')} (keepalived: ${r.k.out.trim()}); lvsd: ${errs.map((d) => `${d.line} ${d.code}`).join(', ')}`,
    );
    assert.notEqual(r.l.exitCode, 0);
  });
}

/** The keywords used inside vrrp_instance / vrrp_sync_group / vrrp_script blocks of a sample. */
function sampleKeywords(text: string): Set<string> {
  const out = new Set<string>();
  let depth = 0;
  let inVrrp = false;
  let parent = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#!].*$/, '').trim();
    const tokens = line.replace(/^@\w+\s+/, '').split(/\s+/);
    const kw = tokens[0] ?? '';
    if (depth === 0 && /^vrrp_(instance|sync_group|script)$/.test(kw)) inVrrp = true;
    else if (inVrrp && depth === 1 && /^[a-z_]+$/.test(kw)) {
      out.add(kw);
      parent = kw;
    } else if (inVrrp && depth === 2 && parent === 'authentication' && /^[a-z_]+$/.test(kw)) out.add(kw);
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth === 0) inVrrp = false;
  }
  return out;
}

test('every vrrp keyword of the Debian samples has a case in the table', (t) => {
  const dir = '/usr/share/doc/keepalived/samples';
  if (!existsSync(dir)) return void t.skip(`${dir} missing (Debian's keepalived package installs it)`);
  const have = new Set(CASES.map((k) => k.kw));
  // Blocks that are values, not keywords: the sync group's member list and a script's command.
  for (const k of ['group', 'script', 'virtual_ipaddress', 'auth_pass', 'track_script']) have.add(k);
  const missing: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.startsWith('keepalived.conf.') && !n.endsWith('.gz')))
    for (const kw of sampleKeywords(readFileSync(join(dir, f), 'utf8')))
      if (!have.has(kw)) missing.push(`${f}: ${kw}`);
  assert.deepEqual(missing, []);
});
