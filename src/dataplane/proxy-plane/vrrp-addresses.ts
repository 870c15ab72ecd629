/**
 * The proxy plane's VRRP addresses: a MASTER puts its instance's `virtual_ipaddress` entries on
 * their interfaces and takes them off when it leaves MASTER or shuts down, as keepalived does
 * (vrrp_ipaddress.c netlink_ipaddress): the address with its prefix (/32 or /128 when none was
 * written), its `label` and `scope`, and for IPv6 `nodad` (usable at once, never stuck in
 * dadfailed after a split brain) and `preferred_lft 0` (deprecated, so the host never picks a VIP
 * as the source of its own connections). Only addresses this class added are ever removed: one
 * that was already there (`ip addr add` fails with EEXIST) is left alone, now and at release.
 * Addresses are changed through the seam of vrrp-address-link.ts: rtnetlink, synchronously,
 * when the addon is built (the address is on before the runner's first GARP), else iproute2's
 * `ip`; the bookkeeping here is the same for both, and stays synchronous while the link is.
 */
import type { VrrpVip } from '../../control/ports.js';
import { addrKey } from '../vrrp-vip.js';
import {
  type AddressLink,
  type AddressOutcome,
  defaultAddressLink,
  type IpRunner,
  ipAddressLink,
} from './vrrp-address-link.js';

export { addArgs, delArgs, type IpRunner, runIp } from './vrrp-address-link.js';

/** Error of {@link VrrpAddresses}: some addresses could not be added or removed. */
export class VrrpAddressError extends Error {
  readonly code = 'ERR_VRRP_ADDRESS';
  constructor(
    message: string,
    /** Each failed change (its `ip` command line) with the reason. */
    readonly failures: readonly string[],
  ) {
    super(message);
    this.name = 'VrrpAddressError';
  }
}

// One address on one interface, whatever way its text was written.
function vipKey(v: VrrpVip): string {
  return `${v.dev}|${addrKey(v.af, v.addr) ?? v.addr}/${v.prefix}`;
}

// One change the bookkeeping asks the link for; the generator resumes with its outcome.
type Step = { readonly op: 'add' | 'del'; readonly vip: VrrpVip };
type Steps = Generator<Step, void, AddressOutcome>;

const isPromise = <T>(x: T | Promise<T>): x is Promise<T> => x instanceof Promise;

// Runs `g` against `link`: synchronously (returns undefined, or throws) while every outcome comes
// at once, and from the first one that does not, asynchronously (returns the promise).
function drive(g: Steps, link: AddressLink): Promise<void> | undefined {
  let next = g.next();
  while (!next.done) {
    const { op, vip } = next.value;
    const r = op === 'add' ? link.add(vip) : link.del(vip);
    if (isPromise(r)) return r.then((o) => driveAsync(g, o, link));
    next = g.next(r);
  }
  return undefined;
}

async function driveAsync(g: Steps, first: AddressOutcome, link: AddressLink): Promise<void> {
  let next = g.next(first);
  while (!next.done) {
    const { op, vip } = next.value;
    next = g.next(await (op === 'add' ? link.add(vip) : link.del(vip)));
  }
}

/** The VRRP addresses this director put on its interfaces, per instance. */
export class VrrpAddresses {
  // Addresses we added, with the instances (MASTER) that want them.
  private readonly added = new Map<string, { vip: VrrpVip; owners: Set<string> }>();
  // Per instance, the keys it holds while MASTER (ours or found already present).
  private readonly held = new Map<string, Set<string>>();
  // The work still under way (only with a link that answers later): later calls wait for it, so
  // adds and removes reach the host in the order the runner reported the transitions.
  private tail: Promise<void> | undefined;
  private readonly link: AddressLink;

  /** `link`: how addresses reach the host (default: rtnetlink, or `ip` without the addon); an IpRunner means `ip` through it. */
  constructor(link: AddressLink | IpRunner = defaultAddressLink()) {
    this.link = typeof link === 'function' ? ipAddressLink(link) : link;
  }

  /**
   * Instance `name` became MASTER (`master` true: its `vips` go on, and any it held before that
   * are no longer listed come off) or left it (all it holds come off). With a synchronous link
   * (rtnetlink) the addresses are changed when this returns. Rejects with a VrrpAddressError
   * listing what failed, after trying every address.
   */
  own(name: string, vips: readonly VrrpVip[], master: boolean): Promise<void> {
    return this.run(() => this.apply(name, vips, master));
  }

  /** Takes off every address this class added (shutdown), whatever instance holds it. */
  releaseAll(): Promise<void> {
    return this.run(() => this.releaseEvery());
  }

  /** Settles when the changes asked for so far are done; undefined when they are done already. */
  settled(): Promise<void> | undefined {
    return this.tail;
  }

  /** The addresses this class added and still holds (for status and tests). */
  addedVips(): VrrpVip[] {
    return [...this.added.values()].map((a) => a.vip);
  }

  // Runs the steps now when nothing is under way, else after it.
  private run(steps: () => Steps): Promise<void> {
    let p: Promise<void> | undefined;
    if (this.tail) {
      p = this.tail.then(() => drive(steps(), this.link));
    } else {
      try {
        p = drive(steps(), this.link);
      } catch (e) {
        return Promise.reject(e);
      }
      if (p === undefined) return Promise.resolve();
    }
    const t = p.catch(() => {});
    this.tail = t;
    void t.then(() => {
      if (this.tail === t) this.tail = undefined;
    });
    return p;
  }

  private *releaseEvery(): Steps {
    const failures: string[] = [];
    for (const name of [...this.held.keys()]) yield* this.releaseInstance(name, new Set(), failures);
    if (failures.length > 0) throw new VrrpAddressError('cannot remove VRRP addresses', failures);
  }

  private *apply(name: string, vips: readonly VrrpVip[], master: boolean): Steps {
    const failures: string[] = [];
    const keep = new Set(master ? vips.map(vipKey) : []);
    yield* this.releaseInstance(name, keep, failures);
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
        const r = yield { op: 'add', vip: v };
        if (r === 'done') {
          this.added.set(k, { vip: v, owners: new Set([name]) });
          mine.add(k);
        } else if (r !== 'exists' && r !== 'gone') {
          failures.push(r.failed);
        }
        // EEXIST: someone else's address; it serves the VIP as it is, and is never removed by us.
      }
    }
    if (failures.length > 0) {
      throw new VrrpAddressError(`VRRP instance ${name}: cannot change its addresses`, failures);
    }
  }

  // Takes off the addresses `name` holds that are not in `keep` (and no other MASTER instance wants).
  private *releaseInstance(name: string, keep: ReadonlySet<string>, failures: string[]): Steps {
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
      const r = yield { op: 'del', vip: ours.vip };
      // 'gone': removed by hand, or the interface went away: nothing left to undo.
      if (typeof r === 'object') failures.push(r.failed);
    }
    if (mine.size === 0) this.held.delete(name);
  }
}
