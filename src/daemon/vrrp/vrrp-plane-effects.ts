/**
 * What being MASTER does to the data plane, for the VRRP runner: the instance's VIPs claimed or
 * released (`DataPlaneHandle.vrrpOwn`, a promise the runner's stop waits for) and gratuitous
 * ARP / unsolicited NA sent (`vrrpAnnounce`). Without a data plane (not attached yet) both do
 * nothing; attaching one later makes the masters claim their VIPs.
 */
import type { DataPlaneHandle, VrrpVip } from '../../control/ports.js';
import type { VrrpAction } from '../../vrrp/vrrp-instance-types.js';
import { errText, type VrrpLog } from './vrrp-runner-options.js';
import type { InstanceRt } from './vrrp-state.js';

/** The data plane as the VRRP instances drive it, with the ownership changes still in flight. */
export class VrrpPlaneEffects {
  #pending: Promise<void>[] = [];

  constructor(
    /** The data plane, once it exists. */
    public plane: DataPlaneHandle | undefined,
    private readonly log: VrrpLog | undefined,
  ) {}

  /** Claims (`master`) or releases `vips` of instance `rt`; a failure is logged, never thrown. */
  own(rt: InstanceRt, vips: readonly VrrpVip[], master: boolean): void {
    const p = this.plane?.vrrpOwn?.(rt.name, vips, master);
    if (!p) return;
    const done = p.catch((e: unknown) =>
      this.log?.('warn', `(${rt.name}) data plane could not ${master ? 'add' : 'remove'} the VIPs`, {
        err: errText(e),
      }),
    );
    this.#pending.push(done);
    void done.then(() => {
      this.#pending = this.#pending.filter((x) => x !== done);
    });
  }

  /** Announces `vips` (one gratuitous ARP / NA each). */
  announce(vips: readonly VrrpVip[]): void {
    this.plane?.vrrpAnnounce?.(vips);
  }

  /** A `garp` action: `repeat` rounds of one GARP per VIP, back to back (vrrp.c vrrp_send_link_update()). */
  garp(rt: InstanceRt, a: Extract<VrrpAction, { type: 'garp' }>): void {
    this.announce(
      Array.from({ length: a.repeat }, () => rt.vips.filter((v) => a.vips.includes(v.addr))).flat(),
    );
  }

  /** Settles when the ownership changes started so far have. */
  settled(): Promise<void> {
    return Promise.all(this.#pending).then(() => undefined);
  }
}
