/**
 * The running VRRP instances of a runner and what their state machines return, performed: each
 * instance is stepped with a time from the Clock and the adverts its channel receives (after
 * every receive check), its timer re-armed to the machine's next deadline, and its actions
 * carried out: adverts on the wire, keepalived's log lines (through `lvs:vrrp:transition`), notify
 * scripts, sync-group coordination, and the data plane's ownership of the addresses.
 */
import { vrrpTransitionChannel } from '../../control/channels.js';
import { runAsOf } from '../../health/probes/misc.js';
import type { Clock } from '../../health/runner.js';
import type { VrrpAction, VrrpEvent } from '../../vrrp/vrrp-instance-types.js';
import { notifyState, type VrrpNotifyRun, vrrpNotifyRuns } from '../../vrrp/vrrp-notify.js';
import type { VrrpMemberEvent } from '../../vrrp/vrrp-sync-group.js';
import type { VrrpDatagram } from '../../vrrp/vrrp-transport.js';
import type { VrrpScripts } from './vrrp-host.js';
import type { VrrpPlaneEffects } from './vrrp-plane-effects.js';
import { errText, type VrrpRunnerOptions } from './vrrp-runner-options.js';
import type { GroupRt, InstanceRt } from './vrrp-state.js';
import { vmacDown, vmacEndpoint } from './vrrp-vmac.js';
import { receiveAdvert, sendAdvert } from './vrrp-wire.js';

/** The instances and sync groups of one runner, and the serialised work that drives them. */
export class VrrpInstances {
  /** Running instances by name. */
  insts = new Map<string, InstanceRt>();
  /** Running sync groups by name. */
  groups = new Map<string, GroupRt>();
  #queue: (() => void)[] = [];
  #busy = false;
  #notifyLater: VrrpNotifyRun[] = [];

  constructor(
    private readonly opts: VrrpRunnerOptions,
    private readonly clock: Clock,
    private readonly scriptsRun: VrrpScripts,
    private readonly effects: VrrpPlaneEffects,
    /** The `source` of the transition messages: the runner, which log subscribers filter on. */
    private readonly source: object,
  ) {}

  /** Runs `fn` now, or after the work in progress: the fake network delivers synchronously. */
  guard(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let f = this.#queue.shift(); f; f = this.#queue.shift())
        try {
          f();
        } catch (e) {
          this.opts.log?.('error', 'VRRP runner error', { err: errText(e) });
        }
    } finally {
      this.#busy = false;
    }
  }

  /** Feeds `ev` to the instance's machine at `at`, performs its actions, then re-arms its timer. */
  step(rt: InstanceRt, ev: VrrpEvent, at = this.clock.now()): void {
    const actions = rt.m.step(at, ev);
    for (const a of actions) this.#perform(rt, a);
    for (let n = this.#notifyLater.shift(); n; n = this.#notifyLater.shift())
      this.scriptsRun.notify(n.argv, runAsOf(n.script));
    if (!rt.quiet) this.rearm(rt);
  }

  /** Steps the members a sync group's decision names, then runs the group's notify on a new state. */
  deliver(g: GroupRt, evs: readonly VrrpMemberEvent[]): void {
    for (const e of evs) {
      const rt = this.insts.get(e.member);
      if (rt) this.step(rt, e.event);
    }
    const s = g.sync.state;
    if (s === 'INIT' || s === g.last) return;
    g.last = s;
    for (const r of vrrpNotifyRuns('GROUP', g.spec.name, g.spec.notify, s, 0))
      this.scriptsRun.notify(r.argv, runAsOf(r.script));
  }

  /** Opens the instance's advert channel; one that cannot be opened holds it in FAULT. */
  open(rt: InstanceRt): void {
    const ep = {
      af: rt.b.instance.af,
      ifname: rt.ifname,
      unicastPeers: rt.b.rx.unicast ? rt.b.destinations : [],
      ...(rt.srcAddr !== undefined ? { srcAddr: rt.srcAddr } : {}),
      ...(rt.b.rx.ahKey !== undefined ? { ah: true } : {}),
    };
    try {
      rt.ch = this.opts.transport.open(
        { ...ep, ...vmacEndpoint(this.opts.vmac, rt) },
        (d) => this.guard(() => this.#onDatagram(rt, d)),
        (e) => this.opts.log?.('warn', `(${rt.name}) VRRP socket error`, { err: e.message }),
      );
      rt.noSocket = false;
    } catch (e) {
      // Our choice: an instance that cannot hear adverts must not make itself MASTER beside a
      // live one, so it is held in FAULT until a reload opens its socket.
      rt.noSocket = true;
      this.opts.log?.('error', `(${rt.name}) cannot open the VRRP socket: FAULT`, { err: String(e) });
    }
  }

  /** Shuts the instance down (priority 0 from a master, the stop notify) and closes its channel. */
  close(rt: InstanceRt): void {
    this.step(rt, { type: 'shutdown' });
    this.stopTimer(rt);
    rt.ch?.close();
    rt.ch = undefined;
    vmacDown(this.opts.vmac, rt);
  }

  /** Arms the instance's timer for its machine's next deadline (none without a channel). */
  rearm(rt: InstanceRt): void {
    const at = rt.m.nextDeadline();
    if (at === rt.timerAt && rt.timer !== undefined) return;
    this.stopTimer(rt);
    if (at === undefined || rt.ch === undefined) return;
    rt.timerAt = at;
    rt.timer = this.clock.setTimer(() => {
      rt.timer = rt.timerAt = undefined;
      this.guard(() => {
        if (this.insts.get(rt.name) === rt) this.step(rt, { type: 'timer' });
      });
    }, at - this.clock.now());
  }

  /** Cancels the instance's timer. */
  stopTimer(rt: InstanceRt): void {
    if (rt.timer !== undefined) this.clock.clearTimer(rt.timer);
    rt.timer = rt.timerAt = undefined;
  }

  #perform(rt: InstanceRt, a: VrrpAction): void {
    switch (a.type) {
      case 'send':
        if (!rt.quiet) this.#send(rt, a.advert);
        return;
      case 'garp':
        if (!rt.quiet) this.effects.garp(rt, a);
        return;
      case 'state':
        if (!rt.quiet) this.#onState(rt, a);
        else rt.group?.sync.onAction(rt.name, a);
        return;
      case 'want-master':
        if (rt.group) this.deliver(rt.group, rt.group.sync.onAction(rt.name, a));
        return;
      case 'arm':
        return; // rearm follows nextDeadline() after every step
    }
  }

  #onState(rt: InstanceRt, a: Extract<VrrpAction, { type: 'state' }>): void {
    const now = this.clock.now();
    rt.since = now;
    rt.transitions++;
    if (vrrpTransitionChannel.hasSubscribers)
      vrrpTransitionChannel.publish({
        source: this.source,
        instance: rt.name,
        from: a.from,
        to: a.to,
        priority: a.priority,
        at: now,
      });
    // Addresses now, before this step's GARP; notify spawns after it, as keepalived orders them
    // (vrrp.c vrrp_state_become_master(): VIPs, vrrp_send_link_update(), send_instance_notifies()).
    if (a.to === 'MASTER') this.effects.own(rt, rt.vips, true);
    else if (a.from === 'MASTER') this.effects.own(rt, rt.vips, false);
    for (const r of vrrpNotifyRuns('INSTANCE', rt.name, rt.notify, notifyState(a.to), a.priority))
      this.#notifyLater.push(r);
    if (rt.group) this.deliver(rt.group, rt.group.sync.onAction(rt.name, a));
  }

  #send(rt: InstanceRt, advert: Extract<VrrpAction, { type: 'send' }>['advert']): void {
    sendAdvert(rt, advert, (dst, e) =>
      this.opts.log?.('warn', `(${rt.name}) cannot send advert`, { dst, err: errText(e) }),
    );
  }

  #onDatagram(rt: InstanceRt, d: VrrpDatagram): void {
    if (!rt.ch || this.insts.get(rt.name) !== rt) return;
    const ev = receiveAdvert(rt, d, (vrid) => {
      for (const o of this.insts.values())
        if (
          o !== rt &&
          o.ifname === rt.ifname &&
          o.b.instance.af === rt.b.instance.af &&
          o.b.instance.vrid === vrid
        )
          return true;
      return false;
    });
    if (ev) this.step(rt, ev);
  }
}
