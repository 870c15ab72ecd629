/**
 * The proxy plane's VRRP addresses: a MASTER puts its instance's `virtual_ipaddress` entries on
 * their interfaces and takes them off when it leaves MASTER or shuts down, as keepalived does
 * (vrrp_ipaddress.c netlink_ipaddress): the address with its prefix (/32 or /128 when none was
 * written), its `label` and `scope`, and for IPv6 `nodad` (usable at once, never stuck in
 * dadfailed after a split brain) and `preferred_lft 0` (deprecated, so the host never picks a VIP
 * as the source of its own connections). Only addresses this class added are ever removed: one
 * that was already there (`ip addr add` fails with EEXIST) is left alone, now and at release.
 * Addresses are changed with iproute2's `ip`, as the rest of lvsd reads and watches the host.
 */
import { execFile } from 'node:child_process';
import type { VrrpVip } from '../../control/ports.js';
import { addrKey } from '../vrrp-vip.js';

/** Runs `ip` with `args`; resolves with its exit status and stderr (a test seam). */
export type IpRunner = (args: readonly string[]) => Promise<{ status: number; stderr: string }>;

/** The real `ip` on PATH. */
export const runIp: IpRunner = (args) =>
  new Promise((resolve) => {
    execFile('ip', [...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ status: code, stderr: String(stderr || (err && code !== 0 ? err.message : '')) });
    });
  });

/** Error of {@link VrrpAddresses}: some addresses could not be added or removed. */
export class VrrpAddressError extends Error {
  readonly code = 'ERR_VRRP_ADDRESS';
  constructor(
    message: string,
    /** Each failed `ip` command line with what it printed. */
    readonly failures: readonly string[],
  ) {
    super(message);
    this.name = 'VrrpAddressError';
  }
}

/** The `ip addr add` arguments for `v` (keepalived's defaults; see the file comment). */
export function addArgs(v: VrrpVip): string[] {
  const args = ['addr', 'add', `${v.addr}/${v.prefix}`, 'dev', v.dev];
  // IFA_LABEL only names IPv4 addresses (iproute2 refuses it for IPv6).
  if (v.af === 4 && v.label !== undefined) args.push('label', v.label);
  if (v.scope !== undefined) args.push('scope', v.scope);
  if (v.af === 6) args.push('nodad', 'preferred_lft', '0');
  return args;
}

/** The `ip addr del` arguments for `v`. */
export function delArgs(v: VrrpVip): string[] {
  return ['addr', 'del', `${v.addr}/${v.prefix}`, 'dev', v.dev];
}

// One address on one interface, whatever way its text was written.
function vipKey(v: VrrpVip): string {
  return `${v.dev}|${addrKey(v.af, v.addr) ?? v.addr}/${v.prefix}`;
}

/** The VRRP addresses this director put on its interfaces, per instance. */
export class VrrpAddresses {
  // Addresses we added, with the instances (MASTER) that want them.
  private readonly added = new Map<string, { vip: VrrpVip; owners: Set<string> }>();
  // Per instance, the keys it holds while MASTER (ours or found already present).
  private readonly held = new Map<string, Set<string>>();
  // Chained so adds and removes reach `ip` in the order the runner reported the transitions.
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ip: IpRunner = runIp) {}

  /**
   * Instance `name` became MASTER (`master` true: its `vips` go on, and any it held before that
   * are no longer listed come off) or left it (all it holds come off). Rejects with a
   * VrrpAddressError listing what failed, after trying every address.
   */
  own(name: string, vips: readonly VrrpVip[], master: boolean): Promise<void> {
    const run = this.queue.then(() => this.apply(name, vips, master));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Takes off every address this class added (shutdown), whatever instance holds it. */
  releaseAll(): Promise<void> {
    const run = this.queue.then(async () => {
      const failures: string[] = [];
      for (const name of [...this.held.keys()]) await this.releaseInstance(name, new Set(), failures);
      if (failures.length > 0) throw new VrrpAddressError('cannot remove VRRP addresses', failures);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** The addresses this class added and still holds (for status and tests). */
  addedVips(): VrrpVip[] {
    return [...this.added.values()].map((a) => a.vip);
  }

  private async apply(name: string, vips: readonly VrrpVip[], master: boolean): Promise<void> {
    const failures: string[] = [];
    const keep = new Set(master ? vips.map(vipKey) : []);
    await this.releaseInstance(name, keep, failures);
    if (master) {
      const mine = this.held.get(name) ?? new Set<string>();
      this.held.set(name, mine);
      for (const v of vips) {
        const k = vipKey(v);
        if (mine.has(k)) continue;
        const ours = this.added.get(k);
        if (ours) {
          ours.owners.add(name);
          mine.add(k);
          continue;
        }
        const args = addArgs(v);
        const r = await this.ip(args);
        if (r.status === 0) {
          this.added.set(k, { vip: v, owners: new Set([name]) });
          mine.add(k);
        } else if (!/File exists|already assigned/i.test(r.stderr)) {
          failures.push(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
        }
        // EEXIST ("File exists", or the kernel's "Address already assigned"): someone else's
        // address; it serves the VIP as it is, and is never removed by us.
      }
    }
    if (failures.length > 0) {
      throw new VrrpAddressError(`VRRP instance ${name}: cannot change its addresses`, failures);
    }
  }

  // Takes off the addresses `name` holds that are not in `keep` (and no other MASTER instance wants).
  private async releaseInstance(name: string, keep: ReadonlySet<string>, failures: string[]): Promise<void> {
    const mine = this.held.get(name);
    if (!mine) return;
    for (const k of [...mine]) {
      if (keep.has(k)) continue;
      mine.delete(k);
      const ours = this.added.get(k);
      if (!ours) continue;
      ours.owners.delete(name);
      if (ours.owners.size > 0) continue;
      this.added.delete(k);
      const args = delArgs(ours.vip);
      const r = await this.ip(args);
      // Gone already (removed by hand, or the interface went away): nothing left to undo.
      if (
        r.status !== 0 &&
        !/Cannot assign requested address|Address not found|Cannot find device/i.test(r.stderr)
      ) {
        failures.push(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
      }
    }
    if (mine.size === 0) this.held.delete(name);
  }
}
