/**
 * One VRRP instance's state machine: RFC 5798 §6.4 (RFC 3768 §6.4 for v2) with keepalived's FAULT
 * state, preempt_delay, lower-priority handling and GARP schedule (keepalived/vrrp/vrrp.c
 * vrrp_state_backup(), vrrp_state_master_rx(), vrrp_state_leave_master(); vrrp_scheduler.c
 * vrrp_init_state()). Pure: `step(now, event)` returns the actions to take; time is in ms.
 * Not modelled: keepalived's "rogue owner" back-off when two routers both claim priority 255.
 */
import { ipBytes } from '../core/addr.js';
import type { VrrpAction, VrrpEvent, VrrpInstanceConfig, VrrpState } from './vrrp-instance-types.js';
import type { VrrpAdvert } from './vrrp-packet.js';
import { masterDownMs, skewMs } from './vrrp-timers.js';

/** Unsigned byte comparison of two addresses of one family: −1, 0 or 1. */
function compareAddr(a: string, b: string): number {
  const x = ipBytes(a);
  const y = ipBytes(b);
  if (!x || !y || x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/** A VRRP instance: feed it events with the current time, perform the actions it returns. */
export class VrrpInstance {
  #state: VrrpState = 'INIT';
  #eff: number;
  #masterAdverCs: number;
  #ownFault = false;
  #groupFault = false;
  #timerAt: number | undefined;
  #garpAt: number | undefined;
  #refreshAt: number | undefined;
  /** The one queued GARP of a burst under vrrp_garp_interval. */
  #queuedGarpAt: number | undefined;
  #lowerGarpAt: number | undefined;
  #preemptAt: number | undefined;
  #master: { addr: string; priority: number } | undefined;
  #out: VrrpAction[] = [];

  constructor(readonly cfg: VrrpInstanceConfig) {
    this.#eff = cfg.priority;
    this.#masterAdverCs = cfg.advertIntCs;
  }

  /** Current state. */
  get state(): VrrpState {
    return this.#state;
  }
  /** Effective priority (base adjusted by trackers). */
  get priority(): number {
    return this.#eff;
  }
  /** Master_Adver_Interval in centiseconds (learned from the master in v3). */
  get masterAdverIntCs(): number {
    return this.#masterAdverCs;
  }
  /** Address and priority of the last accepted master advert, if any. */
  get master(): { readonly addr: string; readonly priority: number } | undefined {
    return this.#master;
  }

  /** The earliest time `step(now, {type:'timer'})` has work to do, or undefined. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    // The refresh is not a deadline of its own: it goes out with an advert (see #timer).
    for (const x of [this.#timerAt, this.#garpAt, this.#queuedGarpAt, this.#lowerGarpAt])
      if (x !== undefined && (t === undefined || x < t)) t = x;
    return t;
  }

  /** Applies one event at time `now` (ms) and returns the actions, ending with the timer to arm. */
  step(now: number, ev: VrrpEvent): VrrpAction[] {
    this.#out = [];
    switch (ev.type) {
      case 'start':
        this.#start(now);
        break;
      case 'timer':
        this.#timer(now);
        break;
      case 'advert':
        if (this.#state === 'BACKUP') this.#backupRx(now, ev.advert, ev.src);
        else if (this.#state === 'MASTER') this.#masterRx(now, ev.advert, ev.src);
        // INIT and FAULT ignore adverts (vrrp_scheduler.c vrrp_dispatcher_read()).
        break;
      case 'fault':
        this.#ownFault = ev.on;
        this.#faultChanged(now);
        break;
      case 'group':
        this.#group(now, ev.state);
        break;
      case 'priority':
        this.#setPriority(ev.priority);
        break;
      case 'shutdown':
        // Master: a priority 0 advert makes the backups take over after Skew_Time (RFC 5798 §6.4.3).
        if (this.#state === 'MASTER') this.#send(0);
        this.#clearTimers();
        this.#enter('INIT');
        return this.#out;
    }
    const at = this.nextDeadline();
    if (at !== undefined) this.#out.push({ type: 'arm', at });
    return this.#out;
  }

  #skew(): number {
    return skewMs(this.cfg.version, this.cfg.priority === 255 ? 255 : this.#eff, this.#masterAdverCs);
  }
  #mdi(): number {
    const p = this.cfg.priority === 255 ? 255 : this.#eff;
    return masterDownMs(this.cfg.version, p, this.#masterAdverCs, this.cfg.downTimerAdverts);
  }
  #isOwner(): boolean {
    return this.cfg.priority === 255;
  }

  #enter(to: VrrpState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    if (to === 'BACKUP') this.#preemptAt = undefined;
    this.#out.push({ type: 'state', from, to, priority: this.#eff });
  }

  #send(priority: number): void {
    const c = this.cfg;
    this.#out.push({
      type: 'send',
      advert: {
        version: c.version,
        type: 1,
        vrid: c.vrid,
        priority,
        interval: c.version === 2 ? c.advertIntCs / 100 : c.advertIntCs,
        addrs: c.vips,
        authType: c.version === 2 ? c.authType : 0,
        authData: c.version === 2 ? c.authData : new Uint8Array(0),
      },
    });
  }

  /**
   * A burst of `repeat` GARP rounds. Under vrrp_garp_interval keepalived sends the first at once
   * and queues the rest, but its queue is one pending flag per address, so exactly one more goes
   * out an interval later (keepalived/vrrp/vrrp_arp.c send_gratuitous_arp(), queue_garp();
   * vrrp_scheduler.c vrrp_arpna_send()); measured so against keepalived 2.2.7.
   */
  #garp(repeat: number, now: number): void {
    if (repeat <= 0 || this.cfg.vips.length === 0) return;
    const interval = this.cfg.garp.intervalMs ?? 0;
    if (interval > 0 && repeat > 1) {
      this.#out.push({ type: 'garp', vips: this.cfg.vips, repeat: 1 });
      this.#queuedGarpAt ??= now + interval;
    } else this.#out.push({ type: 'garp', vips: this.cfg.vips, repeat });
  }

  #clearTimers(): void {
    this.#timerAt = this.#garpAt = this.#refreshAt = this.#lowerGarpAt = this.#queuedGarpAt = undefined;
  }

  #start(now: number): void {
    if (this.#state !== 'INIT') return;
    this.#masterAdverCs = this.cfg.advertIntCs;
    if (this.#ownFault || this.#groupFault) {
      this.#enter('FAULT');
      return;
    }
    if (this.#isOwner() && this.cfg.initialState === 'MASTER' && !this.cfg.inSyncGroup) {
      this.#goMaster(now);
      return;
    }
    // `state MASTER` below 255 waits one interval for an existing master (vrrp_init_state()).
    this.#timerAt =
      this.cfg.initialState === 'MASTER'
        ? now + this.#masterAdverCs * 10 + skewMs(this.cfg.version, 255, this.#masterAdverCs)
        : now + this.#mdi();
    this.#enter('BACKUP');
  }

  /** Becoming master: advert first so the old master drops the VIPs, then GARPs (vrrp_state_master_tx()). */
  #goMaster(now: number): void {
    const g = this.cfg.garp;
    this.#masterAdverCs = this.cfg.advertIntCs;
    this.#send(this.#eff);
    this.#enter('MASTER');
    this.#garp(g.masterRepeat, now);
    this.#garpAt = g.masterDelayMs > 0 ? now + g.masterDelayMs : undefined;
    // Counted from becoming master, not from the delayed burst (vrrp.c vrrp_state_become_master()).
    this.#refreshAt = g.masterRefreshMs > 0 ? now + g.masterRefreshMs : undefined;
    this.#timerAt = now + this.cfg.advertIntCs * 10;
  }

  #leaveMaster(now: number, to: 'BACKUP' | 'FAULT'): void {
    // To FAULT a priority 0 advert hands over at once; to BACKUP a higher master exists already.
    if (to === 'FAULT') this.#send(0);
    this.#garpAt = this.#refreshAt = this.#lowerGarpAt = this.#queuedGarpAt = undefined;
    this.#enter(to);
    this.#timerAt = to === 'BACKUP' ? now + this.#mdi() : undefined;
  }

  #timer(now: number): void {
    const g = this.cfg.garp;
    if (this.#garpAt !== undefined && this.#garpAt <= now) {
      this.#garpAt = undefined;
      this.#garp(g.masterRepeat, now);
    }
    if (this.#queuedGarpAt !== undefined && this.#queuedGarpAt <= now) {
      this.#queuedGarpAt = undefined;
      if (this.#state === 'MASTER') this.#garp(1, now);
    }
    if (this.#lowerGarpAt !== undefined && this.#lowerGarpAt <= now) {
      this.#lowerGarpAt = undefined;
      this.#garp(g.lowerPrioRepeat, now);
    }
    if (this.#timerAt === undefined || this.#timerAt > now) return;
    if (this.#state === 'MASTER') {
      this.#send(this.#eff);
      this.#timerAt = now + this.cfg.advertIntCs * 10;
      // garp_master_refresh is checked when an advert goes out (vrrp.c vrrp_state_master_tx()).
      if (this.#refreshAt !== undefined && this.#refreshAt <= now) {
        this.#refreshAt = now + g.masterRefreshMs;
        this.#garp(g.masterRefreshRepeat, now);
      }
    } else if (this.#state === 'BACKUP') {
      if (this.cfg.inSyncGroup) {
        // The group decides; meanwhile wait another Master_Down_Interval (vrrp_sync_can_goto_master()).
        this.#timerAt = now + this.#mdi();
        this.#out.push({ type: 'want-master' });
      } else this.#goMaster(now);
    } else this.#timerAt = undefined;
  }

  #backupRx(now: number, adv: VrrpAdvert, src: string): void {
    if (adv.priority === 0) {
      // The master is stopping: take over after Skew_Time only (RFC 5798 §6.4.2).
      this.#timerAt = now + this.#skew();
      return;
    }
    const preemptWindow =
      this.cfg.preemptDelayMs > 0 && (this.#preemptAt === undefined || this.#preemptAt > now);
    if (!this.cfg.preempt || adv.priority >= this.#eff || preemptWindow) {
      if (this.cfg.version === 3) this.#masterAdverCs = adv.interval;
      this.#timerAt = now + this.#mdi();
      this.#master = { addr: src, priority: adv.priority };
      // preempt_delay: lower-priority adverts are accepted until the delay after the first one.
      if (this.cfg.preemptDelayMs > 0) {
        if (adv.priority >= this.#eff) this.#preemptAt = undefined;
        else if (this.#preemptAt === undefined) this.#preemptAt = now + this.cfg.preemptDelayMs;
      }
    } else {
      // A discarded lower-priority advert leaves the down timer running, so we preempt on expiry;
      // its sender is still recorded as the master (vrrp.c vrrp_state_backup(), for SNMP there).
      this.#master = { addr: src, priority: adv.priority };
    }
  }

  #masterRx(now: number, adv: VrrpAdvert, src: string): void {
    const cmp = compareAddr(src, this.cfg.primaryAddr);
    const higher = adv.priority > this.#eff || (adv.priority === this.#eff && cmp > 0);
    if (adv.priority === 0) {
      // Another master is stopping: advertise at once (RFC 5798 §6.4.3).
      this.#send(this.#eff);
      this.#timerAt = now + this.cfg.advertIntCs * 10;
      return;
    }
    if (higher && this.cfg.higherPrioSendAdvert) this.#send(this.#eff);
    if (adv.priority < this.#eff || (adv.priority === this.#eff && cmp < 0)) {
      // keepalived answers with an advert ("forcing new election", as RFC 9568 does) and GARPs.
      if (!this.cfg.lowerPrioNoAdvert) this.#send(this.#eff);
      this.#garp(this.cfg.garp.lowerPrioRepeat, now);
      if (this.cfg.garp.lowerPrioRepeat > 0 && this.cfg.garp.lowerPrioDelayMs > 0)
        this.#lowerGarpAt = now + this.cfg.garp.lowerPrioDelayMs;
      return;
    }
    if (!higher) return; // equal priority from our own address
    if (this.cfg.version === 3) this.#masterAdverCs = adv.interval;
    this.#master = { addr: src, priority: adv.priority };
    this.#leaveMaster(now, 'BACKUP');
  }

  #faultChanged(now: number): void {
    const faulty = this.#ownFault || this.#groupFault;
    if (faulty && this.#state !== 'FAULT' && this.#state !== 'INIT') {
      if (this.#state === 'MASTER') this.#leaveMaster(now, 'FAULT');
      else {
        this.#clearTimers();
        this.#enter('FAULT');
      }
    } else if (!faulty && this.#state === 'FAULT') {
      // Leaving FAULT: back to our own interval and a full down timer (vrrp.c vrrp_state_leave_fault()).
      this.#masterAdverCs = this.cfg.advertIntCs;
      if (this.#isOwner() && this.cfg.initialState === 'MASTER' && !this.cfg.inSyncGroup) this.#goMaster(now);
      else {
        this.#timerAt = now + this.#mdi();
        this.#enter('BACKUP');
      }
    }
  }

  #group(now: number, to: 'MASTER' | 'BACKUP' | 'FAULT'): void {
    if (to === 'FAULT') {
      this.#groupFault = true;
      this.#faultChanged(now);
      return;
    }
    const wasGroupFault = this.#groupFault;
    this.#groupFault = false;
    if (wasGroupFault) this.#faultChanged(now);
    if (this.#state === 'FAULT' || this.#state === 'INIT') return;
    if (to === 'MASTER' && this.#state === 'BACKUP') this.#goMaster(now);
    else if (to === 'BACKUP' && this.#state === 'MASTER') this.#leaveMaster(now, 'BACKUP');
  }

  #setPriority(total: number): void {
    if (this.#isOwner()) return; // an owner's priority is never changed (vrrp_track.c vrrp_set_effective_priority())
    const p = Math.min(254, Math.max(1, total));
    if (p === this.#eff) return;
    const oldMdi = this.#mdi();
    this.#eff = p;
    // A backup's running down timer moves by the change in skew.
    if (this.#state === 'BACKUP' && this.#timerAt !== undefined) this.#timerAt += this.#mdi() - oldMdi;
  }
}
