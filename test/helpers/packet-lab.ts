/**
 * Building blocks of the packet-plane end-to-end labs (fwmark, one-packet, FTP): a bridged LAN in
 * a switch namespace, addressed hosts, DR real servers, small Node servers that say when they
 * listen, and a packet-plane lvsd whose output is kept for failure messages. Each lab test keeps
 * its own topology; only the repeated steps live here.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Netns } from './netns.js';

/** The repository root, the working directory spawned lvsd runs in. */
export const REPO = resolve(import.meta.dirname, '../..');

/** Polls `cond` every 50 ms; throws with `out()` after `ms`. */
export async function waitFor(
  what: string,
  cond: () => boolean,
  out: () => string,
  ms = 20_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${out()}`);
    await sleep(50);
  }
}

/** Makes `br0` in namespace `sw`, enslaves `ports` to it and brings everything up. */
export function bridge(ns: Netns, sw: string, ports: readonly string[]): void {
  ns.ip(sw, 'link', 'add', 'br0', 'type', 'bridge');
  for (const p of ports) {
    ns.ip(sw, 'link', 'set', p, 'master', 'br0');
    ns.ip(sw, 'link', 'set', p, 'up');
  }
  ns.ip(sw, 'link', 'set', 'br0', 'up');
}

/** Adds `cidr` to `dev` of `label` and brings the device up. */
export function hostAddr(ns: Netns, label: string, cidr: string, dev = 'eth0'): void {
  ns.ip(label, 'addr', 'add', cidr, 'dev', dev);
  ns.ip(label, 'link', 'set', dev, 'up');
}

/**
 * A DR real server: the VIP on lo, never announced nor answered for on eth0 (arp_ignore=1,
 * arp_announce=2, as ipvsadm(8)'s DR notes and the LVS-HOWTO set them).
 */
export function drRealServer(ns: Netns, label: string, vip: string): void {
  ns.ip(label, 'link', 'set', 'lo', 'up');
  ns.ip(label, 'addr', 'add', `${vip}/32`, 'dev', 'lo');
  for (const k of ['all', 'eth0']) {
    ns.exec(label, ['sysctl', '-qw', `net.ipv4.conf.${k}.arp_ignore=1`]);
    ns.exec(label, ['sysctl', '-qw', `net.ipv4.conf.${k}.arp_announce=2`]);
  }
}

/** Runs `node -e code` in `label` and waits until it prints `listening`. */
export async function startNodeServer(ns: Netns, label: string, code: string): Promise<ChildProcess> {
  const p = ns.spawn(label, [process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  let o = '';
  p.stdout?.on('data', (d: Buffer) => {
    o += d.toString();
  });
  await waitFor(
    `${label} server`,
    () => o.includes('listening'),
    () => o,
  );
  return p;
}

/** A spawned lvsd and everything it printed so far. */
export interface LabLvsd {
  readonly proc: ChildProcess;
  log(): string;
}

/**
 * Starts `bin/lvsd --sysctl-files none --dataplane packet ARGS` in `label` and waits until it
 * prints `ready` (default: `lvsd ready`); fails with its output if it exits first.
 */
export function startPacketLvsd(
  ns: Netns,
  label: string,
  args: readonly string[],
  ready = 'lvsd ready',
): Promise<LabLvsd> {
  return startLvsdIn(ns, label, ['--dataplane', 'packet', ...args], ready);
}

/** Starts `bin/lvsd --sysctl-files none ARGS` in `label` and waits as {@link startPacketLvsd}. */
export async function startLvsdIn(
  ns: Netns,
  label: string,
  args: readonly string[],
  ready = 'lvsd ready',
): Promise<LabLvsd> {
  const proc = ns.spawn(label, [process.execPath, 'bin/lvsd', '--sysctl-files', 'none', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LVSD_SOCKET: '' },
  });
  let log = '';
  const keep = (d: Buffer) => {
    log += d.toString();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  await waitFor(
    'lvsd ready',
    () => log.includes(ready) || proc.exitCode !== null,
    () => log,
  );
  assert.equal(proc.exitCode, null, log);
  return { proc, log: () => log };
}
