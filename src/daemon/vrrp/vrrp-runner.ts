/**
 * The daemon's VRRP driver: it builds one pure `VrrpInstance` per `vrrp_instance` of the
 * configuration, feeds it time from a Clock, the adverts its channel receives (after every
 * receive check, each reject counted by reason) and its trackers' priority, and performs what it
 * returns: adverts on the wire, keepalived's log lines (through `lvs:vrrp:transition`), notify
 * scripts, sync groups, and the data plane's ownership of the addresses. Shutdown sends
 * priority 0 for the instances it masters (RFC 5798 §6.4.3). All I/O is injected.
 */
import type { LvsModel, VrrpInstance as VrrpInstanceModel } from '../../config/model.js';
import { vrrpTransitionChannel } from '../../control/channels.js';
import type { DataPlaneHandle, VrrpVip } from '../../control/ports.js';
import type { VrrpView } from '../../control/vrrp-views.js';
import { type Clock, systemClock } from '../../health/runner.js';
import type { VmacLinks } from '../../io/vrrp/vmac-links.js';
import type { VrrpAction, VrrpEvent } from '../../vrrp/vrrp-instance-types.js';
import { notifyState, vrrpNotifyRuns } from '../../vrrp/vrrp-notify.js';
import { type VrrpMemberEvent, VrrpSyncGroup } from '../../vrrp/vrrp-sync-group.js';
import { trackedPriority } from '../../vrrp/vrrp-track.js';
import type { VrrpDatagram, VrrpTransport } from '../../vrrp/vrrp-transport.js';
import { VrrpFileProcessTracker } from './vrrp-file-process-tracker.js';
import { systemVrrpScripts, type VrrpHost, type VrrpScripts } from './vrrp-host.js';
import { scriptKey, VrrpScriptTracker } from './vrrp-script-tracker.js';
import { type GroupRt, type InstanceRt, instanceView, newInstanceRt } from './vrrp-state.js';
import { systemVrrpTrackIo, type VrrpTrackIo } from './vrrp-track-io.js';
import { vipsMissingFrom } from './vrrp-vips.js';
import { vmacDown, vmacEndpoint, vmacRetire } from './vrrp-vmac.js';
import { receiveAdvert, sendAdvert } from './vrrp-wire.js';

/** Log sink for what is not a transition: bind failures, send errors, script launches. */
export type VrrpLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Runner options; everything with I/O is injected. */
export interface VrrpRunnerOptions {
  readonly model: LvsModel;
  readonly transport: VrrpTransport;
  readonly host: VrrpHost;
  readonly clock?: Clock;
  readonly scripts?: VrrpScripts;
  /** The data plane, when it already exists; see {@link VrrpRunner.attachPlane}. */
  readonly plane?: DataPlaneHandle;
  /** How often track_interface links are re-read (keepalived follows netlink; we poll). */
  readonly linkPollMs?: number;
  /** track_file / vrrp_track_process reads, and how often they are polled (default 1 s). */
  readonly trackIo?: VrrpTrackIo;
  readonly trackPollMs?: number;
  readonly log?: VrrpLog;
  /** Makes the macvlans of `use_vmac`; without it such instances stay in FAULT (packet plane). */
  readonly vmac?: VmacLinks;
}

/** Before this, a synthetic start puts every timer of a restored master in the past. */
const LONG_AGO_MS = 1e9;

/** Runs the VRRP instances of one configuration. */
export class VrrpRunner {
  readonly #clock: Clock;
  readonly #scriptsRun: VrrpScripts;
  #model: LvsModel;
  #plane: DataPlaneHandle | undefined;
  #insts = new Map<string, InstanceRt>();
  #groups = new Map<string, GroupRt>();
  #scripts = new Map<string, VrrpScriptTracker>();
  readonly #files: VrrpFileProcessTracker;
  readonly #links = new Map<string, boolean>();
  #linkTimer: unknown;
  #queue: (() => void)[] = [];
  #busy = false;
  #running = false;
  #pending: Promise<void>[] = [];
  #notifyLater: (readonly string[])[] = [];

  constructor(private readonly opts: VrrpRunnerOptions) {
    this.#clock = opts.clock ?? systemClock;
    this.#scriptsRun = opts.scripts ?? systemVrrpScripts;
    this.#model = opts.model;
    this.#plane = opts.plane;
    const io = opts.trackIo ?? systemVrrpTrackIo;
    this.#files = new VrrpFileProcessTracker(
      this.#clock,
      io,
      () => this.#onScript(),
      (l, m) => opts.log?.(l, m),
      opts.trackPollMs,
    );
  }

  /** Opens the channels, starts the trackers and the instances. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#guard(() => this.#build(this.#model));
    this.#pollLinks();
  }

  /**
   * Moves to a new configuration as keepalived 2.2.7 reloads: an unchanged instance keeps
   * running untouched; a changed one keeps its state (no transition) with the new priority and
   * addresses; a new one starts, a removed one stops (vrrp_daemon.c reload_vrrp_thread(),
   * vrrp.c restore_vrrp_state()).
   */
  reload(model: LvsModel): void {
    this.#model = model;
    if (this.#running) this.#guard(() => this.#build(model));
  }

  /** The data plane came up (it starts after the table): instances already MASTER claim their VIPs. */
  attachPlane(plane: DataPlaneHandle | undefined): void {
    this.#plane = plane;
    for (const rt of this.#insts.values()) if (rt.m.state === 'MASTER') this.#own(rt, rt.vips, true);
  }

  /** Stops every instance (priority 0 from a master, the stop notify), then closes the channels. */
  stop(): Promise<void> {
    if (this.#running) {
      this.#running = false;
      this.#guard(() => {
        for (const rt of this.#insts.values()) this.#close(rt);
        this.#insts.clear();
        for (const s of this.#scripts.values()) s.stop();
        this.#scripts.clear();
        this.#files.stop();
      });
      if (this.#linkTimer !== undefined) this.#clock.clearTimer(this.#linkTimer);
    }
    return Promise.all(this.#pending).then(() => undefined);
  }

  /** Data for `lvsadm --vrrp`. */
  view(): VrrpView {
    const now = this.#clock.now();
    return { now, instances: [...this.#insts.values()].map((rt) => instanceView(rt)) };
  }

  // --- building and reloading -------------------------------------------------------------

  #build(model: LvsModel): void {
    const v = model.vrrp;
    const now = this.#clock.now();
    const oldScripts = this.#scripts;
    this.#scripts = new Map();
    for (const s of v.scripts) {
      const old = oldScripts.get(s.name);
      const keep = old && old.key === scriptKey(s);
      if (old && !keep) old.stop();
      oldScripts.delete(s.name);
      this.#scripts.set(
        s.name,
        keep && old ? old : new VrrpScriptTracker(s, this.#clock, this.#scriptsRun, () => this.#onScript()),
      );
    }
    for (const s of oldScripts.values()) s.stop();
    this.#files.update(v);
    const oldGroups = this.#groups;
    this.#groups = new Map();
    for (const g of v.syncGroups) {
      const key = JSON.stringify([g.members, g.notify]);
      const old = oldGroups.get(g.name);
      this.#groups.set(
        g.name,
        old && old.key === key
          ? old
          : { spec: g, key, sync: new VrrpSyncGroup(g.name, g.members), last: 'INIT' },
      );
    }
    const old = this.#insts;
    this.#insts = new Map();
    const fresh: InstanceRt[] = [];
    const restored: [InstanceRt, InstanceRt][] = [];
    for (const vi of v.instances) {
      const rt = this.#bind(vi, model);
      if (!rt) continue;
      const prev = old.get(vi.name);
      old.delete(vi.name);
      if (prev && prev.key === rt.key && this.#groups.get(rt.b.syncGroup ?? '') === prev.group) {
        this.#insts.set(vi.name, prev);
        continue;
      }
      this.#insts.set(vi.name, rt);
      if (
        prev &&
        prev.ifname === rt.ifname &&
        prev.b.instance.vrid === rt.b.instance.vrid &&
        prev.b.instance.af === rt.b.instance.af
      )
        restored.push([prev, rt]);
      else {
        if (prev) this.#close(prev);
        fresh.push(rt);
      }
    }
    for (const rt of old.values()) this.#close(rt);
    // New sync-group objects learn the states of the members they keep.
    for (const g of this.#groups.values())
      if (g.last === 'INIT')
        for (const m of g.spec.members) {
          const rt = this.#insts.get(m);
          if (rt && !restored.some(([, r]) => r === rt) && rt.m.state !== 'INIT')
            g.sync.onAction(m, { type: 'state', from: 'INIT', to: rt.m.state, priority: rt.m.priority });
        }
    for (const rt of [...fresh, ...restored.map(([, r]) => r)]) this.#open(rt);
    for (const [prev, rt] of restored) this.#restore(prev, rt, now);
    for (const rt of fresh) {
      this.#track(rt);
      this.#step(rt, { type: 'start' });
    }
    for (const rt of this.#insts.values()) this.#track(rt);
    for (const s of this.#scripts.values()) s.start();
  }

  #bind(vi: VrrpInstanceModel, model: LvsModel): InstanceRt | undefined {
    const ifname = vi.interface;
    const log = this.opts.log;
    if (ifname === undefined) {
      log?.('error', `(${vi.name}) no interface: instance not started`);
      return undefined;
    }
    const af = vi.vips[0]?.af ?? 4;
    const srcAddr = vi.unicastSrcIp ?? vi.mcastSrcIp;
    const primary = srcAddr ?? this.opts.host.primaryAddress(ifname, af);
    if (primary === undefined) {
      log?.('error', `(${vi.name}) no IPv${af} address on ${ifname}: instance not started`);
      return undefined;
    }
    try {
      const group = (name: string) => this.#groups.get(name);
      return newInstanceRt(vi, model, ifname, primary, group, this.#clock.now());
    } catch (e) {
      log?.('error', `(${vi.name}) ${e instanceof Error ? e.message : String(e)}: instance not started`);
      return undefined;
    }
  }

  #open(rt: InstanceRt): void {
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
        (d) => this.#guard(() => this.#onDatagram(rt, d)),
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

  /**
   * A changed instance takes its predecessor's state without a transition: it is started at a
   * time long past, so a former master's down timer has expired and it becomes master again
   * now, its own timers counted from now; none of that is logged, notified or sent.
   */
  #restore(prev: InstanceRt, rt: InstanceRt, now: number): void {
    const was = prev.m.state;
    this.#stopTimer(prev);
    prev.ch?.close();
    vmacRetire(this.opts.vmac, prev, rt);
    rt.since = prev.since;
    rt.transitions = prev.transitions;
    rt.sent = prev.sent;
    rt.received = prev.received;
    for (const [k, n] of prev.rxErrors) rt.rxErrors.set(k, n);
    rt.quiet = true;
    // The new priority now; a fault that arose meanwhile is applied after, as a real transition.
    this.#track(rt, was !== 'FAULT');
    this.#step(rt, { type: 'start' }, was === 'MASTER' ? now - LONG_AGO_MS : now);
    if (was === 'MASTER' && rt.m.state === 'BACKUP')
      this.#step(rt, rt.group ? { type: 'group', state: 'MASTER' } : { type: 'timer' });
    rt.quiet = false;
    this.#rearm(rt);
    const had = was === 'MASTER' ? prev.vips : [];
    const has = rt.m.state === 'MASTER' ? rt.vips : [];
    const gone = vipsMissingFrom(had, has);
    const added = vipsMissingFrom(has, had);
    if (gone.length > 0) this.#own(rt, gone, false);
    if (added.length > 0) {
      this.#own(rt, added, true);
      this.#plane?.vrrpAnnounce?.(added);
    }
  }

  #close(rt: InstanceRt): void {
    this.#step(rt, { type: 'shutdown' });
    this.#stopTimer(rt);
    rt.ch?.close();
    rt.ch = undefined;
    vmacDown(this.opts.vmac, rt);
  }

  // --- tracking ---------------------------------------------------------------------------

  #link(ifname: string): boolean {
    let up = this.#links.get(ifname);
    if (up === undefined) {
      // An interface whose state cannot be read counts as up: only a seen "down" faults.
      up = this.opts.host.linkUp(ifname) ?? true;
      this.#links.set(ifname, up);
    }
    return up;
  }

  #pollLinks(): void {
    if (!this.#running) return;
    this.#linkTimer = this.#clock.setTimer(() => this.#pollLinks(), this.opts.linkPollMs ?? 1000);
    const changed = new Set<string>();
    for (const name of this.#links.keys()) {
      const up = this.opts.host.linkUp(name) ?? true;
      if (up !== this.#links.get(name)) changed.add(name);
      this.#links.set(name, up);
    }
    if (changed.size > 0)
      this.#guard(() => {
        for (const rt of this.#insts.values())
          if (
            (rt.trackOwnLink && changed.has(rt.ifname)) ||
            rt.b.tracks.some((t) => t.kind === 'interface' && changed.has(t.name))
          )
            this.#track(rt);
      });
  }

  /** A script, file or process changed state: recompute every instance (#track changes nothing where it is not tracked). */
  #onScript(): void {
    this.#guard(() => {
      for (const rt of this.#insts.values()) this.#track(rt);
    });
  }

  /**
   * Recomputes the priority and fault from the trackers (keepalived vrrp_track.c) and feeds
   * changes; `priorityOnly` leaves the fault for a later call.
   */
  #track(rt: InstanceRt, priorityOnly = false): void {
    const ext = this.#files.tracking(rt.b.tracks);
    const tracked = rt.b.tracks
      .filter((t) => t.kind === 'interface' || t.kind === 'script')
      .map((t) => ({
        up: t.kind === 'script' ? this.#scripts.get(t.name)?.up : this.#link(t.name),
        weight: t.weight,
        reverse: t.reverse,
      }));
    // keepalived faults an instance whose own interface goes down unless `dont_track_primary`.
    if (rt.trackOwnLink) tracked.push({ up: this.#link(rt.ifname), weight: 0, reverse: false });
    if (rt.noSocket) tracked.push({ up: false, weight: 0, reverse: false });
    // A sync group's own track_script faults every member while it fails (weight 0 in a group).
    for (const t of rt.group?.spec.trackScripts ?? [])
      tracked.push({ up: this.#scripts.get(t.name)?.up, weight: 0, reverse: false });
    tracked.push(...ext.tracked);
    const r = trackedPriority(rt.b.instance.priority, tracked, ext.effects);
    if (r.priority !== rt.m.priority) this.#step(rt, { type: 'priority', priority: r.priority });
    if (priorityOnly || r.fault === rt.fault) return;
    rt.fault = r.fault;
    if (rt.group) this.#deliver(rt.group, rt.group.sync.setFault(rt.name, r.fault));
    else this.#step(rt, { type: 'fault', on: r.fault });
  }

  // --- the state machine's actions --------------------------------------------------------

  /** Runs `fn` now, or after the work in progress: the fake network delivers synchronously. */
  #guard(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let f = this.#queue.shift(); f; f = this.#queue.shift())
        try {
          f();
        } catch (e) {
          this.opts.log?.('error', 'VRRP runner error', { err: e instanceof Error ? e.message : String(e) });
        }
    } finally {
      this.#busy = false;
    }
  }

  #step(rt: InstanceRt, ev: VrrpEvent, at = this.#clock.now()): void {
    const actions = rt.m.step(at, ev);
    for (const a of actions) this.#perform(rt, a);
    for (let n = this.#notifyLater.shift(); n; n = this.#notifyLater.shift()) this.#scriptsRun.notify(n);
    if (!rt.quiet) this.#rearm(rt);
  }

  #perform(rt: InstanceRt, a: VrrpAction): void {
    switch (a.type) {
      case 'send':
        if (!rt.quiet) this.#send(rt, a.advert);
        return;
      case 'garp':
        // `repeat` rounds of one GARP per VIP, back to back (vrrp.c vrrp_send_link_update()).
        if (!rt.quiet)
          this.#plane?.vrrpAnnounce?.(
            Array.from({ length: a.repeat }, () => rt.vips.filter((v) => a.vips.includes(v.addr))).flat(),
          );
        return;
      case 'state':
        if (!rt.quiet) this.#onState(rt, a);
        else rt.group?.sync.onAction(rt.name, a);
        return;
      case 'want-master':
        if (rt.group) this.#deliver(rt.group, rt.group.sync.onAction(rt.name, a));
        return;
      case 'arm':
        return; // #rearm follows nextDeadline() after every step
    }
  }

  #onState(rt: InstanceRt, a: Extract<VrrpAction, { type: 'state' }>): void {
    const now = this.#clock.now();
    rt.since = now;
    rt.transitions++;
    if (vrrpTransitionChannel.hasSubscribers)
      vrrpTransitionChannel.publish({
        source: this,
        instance: rt.name,
        from: a.from,
        to: a.to,
        priority: a.priority,
        at: now,
      });
    // Addresses now, before this step's GARP; notify spawns after it, as keepalived orders them
    // (vrrp.c vrrp_state_become_master(): VIPs, vrrp_send_link_update(), send_instance_notifies()).
    if (a.to === 'MASTER') this.#own(rt, rt.vips, true);
    else if (a.from === 'MASTER') this.#own(rt, rt.vips, false);
    for (const r of vrrpNotifyRuns('INSTANCE', rt.name, rt.notify, notifyState(a.to), a.priority))
      this.#notifyLater.push(r.argv);
    if (rt.group) this.#deliver(rt.group, rt.group.sync.onAction(rt.name, a));
  }

  #deliver(g: GroupRt, evs: readonly VrrpMemberEvent[]): void {
    for (const e of evs) {
      const rt = this.#insts.get(e.member);
      if (rt) this.#step(rt, e.event);
    }
    const s = g.sync.state;
    if (s === 'INIT' || s === g.last) return;
    g.last = s;
    for (const r of vrrpNotifyRuns('GROUP', g.spec.name, g.spec.notify, s, 0))
      this.#scriptsRun.notify(r.argv);
  }

  #send(rt: InstanceRt, advert: Extract<VrrpAction, { type: 'send' }>['advert']): void {
    sendAdvert(rt, advert, (dst, e) =>
      this.opts.log?.('warn', `(${rt.name}) cannot send advert`, {
        dst,
        err: e instanceof Error ? e.message : String(e),
      }),
    );
  }

  #own(rt: InstanceRt, vips: readonly VrrpVip[], master: boolean): void {
    const p = this.#plane?.vrrpOwn?.(rt.name, vips, master);
    if (!p) return;
    const done = p.catch((e: unknown) =>
      this.opts.log?.('warn', `(${rt.name}) data plane could not ${master ? 'add' : 'remove'} the VIPs`, {
        err: e instanceof Error ? e.message : String(e),
      }),
    );
    this.#pending.push(done);
    void done.then(() => {
      this.#pending = this.#pending.filter((x) => x !== done);
    });
  }

  #onDatagram(rt: InstanceRt, d: VrrpDatagram): void {
    if (!rt.ch || this.#insts.get(rt.name) !== rt) return;
    const ev = receiveAdvert(rt, d, (vrid) => {
      for (const o of this.#insts.values())
        if (
          o !== rt &&
          o.ifname === rt.ifname &&
          o.b.instance.af === rt.b.instance.af &&
          o.b.instance.vrid === vrid
        )
          return true;
      return false;
    });
    if (ev) this.#step(rt, ev);
  }

  #rearm(rt: InstanceRt): void {
    const at = rt.m.nextDeadline();
    if (at === rt.timerAt && rt.timer !== undefined) return;
    this.#stopTimer(rt);
    if (at === undefined || rt.ch === undefined) return;
    rt.timerAt = at;
    rt.timer = this.#clock.setTimer(() => {
      rt.timer = rt.timerAt = undefined;
      this.#guard(() => {
        if (this.#insts.get(rt.name) === rt) this.#step(rt, { type: 'timer' });
      });
    }, at - this.#clock.now());
  }

  #stopTimer(rt: InstanceRt): void {
    if (rt.timer !== undefined) this.#clock.clearTimer(rt.timer);
    rt.timer = rt.timerAt = undefined;
  }
}
