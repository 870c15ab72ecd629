/**
 * Starting and reloading a runner's configuration as keepalived 2.2.7 does: an unchanged instance
 * keeps running untouched; a changed one keeps its state (no transition) with the new priority and
 * addresses; a new one starts, a removed one stops (keepalived/vrrp/vrrp_daemon.c
 * reload_vrrp_thread(), vrrp.c restore_vrrp_state()). Sync groups and scripts whose
 * configuration is unchanged are kept too.
 */
import type { LvsModel, VrrpInstance as VrrpInstanceModel } from '../../config/model.js';
import type { Clock } from '../../health/runner.js';
import { VrrpSyncGroup } from '../../vrrp/vrrp-sync-group.js';
import type { VrrpInstances } from './vrrp-instances.js';
import type { VrrpPlaneEffects } from './vrrp-plane-effects.js';
import { errText, type VrrpRunnerOptions } from './vrrp-runner-options.js';
import { type GroupRt, type InstanceRt, newInstanceRt } from './vrrp-state.js';
import type { VrrpTracking } from './vrrp-tracking.js';
import { vipsMissingFrom } from './vrrp-vips.js';
import { vmacRetire } from './vrrp-vmac.js';

/** Before this, a synthetic start puts every timer of a restored master in the past. */
const LONG_AGO_MS = 1e9;

/** The parts of a runner a (re)build works on. */
export interface VrrpBuildParts {
  readonly opts: VrrpRunnerOptions;
  readonly clock: Clock;
  readonly run: VrrpInstances;
  readonly tracking: VrrpTracking;
  readonly effects: VrrpPlaneEffects;
}

/** Moves the runner to `model`: the first call starts everything, later ones reload. */
export function buildVrrp(p: VrrpBuildParts, model: LvsModel): void {
  const { run, tracking } = p;
  const v = model.vrrp;
  const now = p.clock.now();
  tracking.update(v);
  const oldGroups = run.groups;
  run.groups = new Map();
  for (const g of v.syncGroups) {
    const key = JSON.stringify([g.members, g.notify]);
    const old = oldGroups.get(g.name);
    run.groups.set(
      g.name,
      old && old.key === key
        ? old
        : { spec: g, key, sync: new VrrpSyncGroup(g.name, g.members), last: 'INIT' },
    );
  }
  const old = run.insts;
  run.insts = new Map();
  const fresh: InstanceRt[] = [];
  const restored: [InstanceRt, InstanceRt][] = [];
  for (const vi of v.instances) {
    const rt = bindInstance(p, vi, model);
    if (!rt) continue;
    const prev = old.get(vi.name);
    old.delete(vi.name);
    if (prev && prev.key === rt.key && run.groups.get(rt.b.syncGroup ?? '') === prev.group) {
      run.insts.set(vi.name, prev);
      continue;
    }
    run.insts.set(vi.name, rt);
    if (
      prev &&
      prev.ifname === rt.ifname &&
      prev.b.instance.vrid === rt.b.instance.vrid &&
      prev.b.instance.af === rt.b.instance.af
    )
      restored.push([prev, rt]);
    else {
      if (prev) run.close(prev);
      fresh.push(rt);
    }
  }
  for (const rt of old.values()) run.close(rt);
  // New sync-group objects learn the states of the members they keep.
  for (const g of run.groups.values())
    if (g.last === 'INIT')
      for (const m of g.spec.members) {
        const rt = run.insts.get(m);
        if (rt && !restored.some(([, r]) => r === rt) && rt.m.state !== 'INIT')
          g.sync.onAction(m, { type: 'state', from: 'INIT', to: rt.m.state, priority: rt.m.priority });
      }
  for (const rt of [...fresh, ...restored.map(([, r]) => r)]) run.open(rt);
  for (const [prev, rt] of restored) restore(p, prev, rt, now);
  for (const rt of fresh) {
    tracking.track(rt);
    run.step(rt, { type: 'start' });
  }
  for (const rt of run.insts.values()) tracking.track(rt);
  tracking.startScripts();
}

/** The runtime of `vi`, or undefined (logged) when it cannot start: no interface, no address, refused. */
function bindInstance(p: VrrpBuildParts, vi: VrrpInstanceModel, model: LvsModel): InstanceRt | undefined {
  const ifname = vi.interface;
  const log = p.opts.log;
  if (ifname === undefined) {
    log?.('error', `(${vi.name}) no interface: instance not started`);
    return undefined;
  }
  const af = vi.vips[0]?.af ?? 4;
  const srcAddr = vi.unicastSrcIp ?? vi.mcastSrcIp;
  const primary = srcAddr ?? p.opts.host.primaryAddress(ifname, af);
  try {
    const group = (name: string): GroupRt | undefined => p.run.groups.get(name);
    if (primary !== undefined) return newInstanceRt(vi, model, ifname, primary, group, p.clock.now());
    // keepalived 2.2.7 starts such an instance in FAULT and brings it up when an address is
    // added (vrrp.c, "no IPv4 address for interface"); a placeholder stands in until then.
    const rt = newInstanceRt(vi, model, ifname, af === 4 ? '0.0.0.0' : '::', group, p.clock.now());
    rt.noAddress = true;
    log?.('warn', `(${vi.name}) entering FAULT state (no IPv${af} address for interface)`);
    return rt;
  } catch (e) {
    log?.('error', `(${vi.name}) ${errText(e)}: instance not started`);
    return undefined;
  }
}

/**
 * Instances held in FAULT for want of an address whose interface now has one are bound again
 * with it: the new instance starts quietly in FAULT, then its trackers are recomputed, so it
 * leaves FAULT with a logged and notified transition (keepalived: "Entering BACKUP STATE" right
 * after the address is assigned).
 */
export function readdressInstances(p: VrrpBuildParts, model: LvsModel): void {
  const { run } = p;
  for (const prev of [...run.insts.values()]) {
    if (!prev.noAddress) continue;
    const primary = p.opts.host.primaryAddress(prev.ifname, prev.b.instance.af);
    const vi = model.vrrp.instances.find((i) => i.name === prev.name);
    if (primary === undefined || !vi) continue;
    let rt: InstanceRt;
    try {
      rt = newInstanceRt(vi, model, prev.ifname, primary, (n) => run.groups.get(n), p.clock.now());
    } catch (e) {
      p.opts.log?.('error', `(${vi.name}) ${errText(e)}`);
      continue;
    }
    run.stopTimer(prev);
    prev.ch?.close();
    vmacRetire(p.opts.vmac, prev, rt);
    rt.since = prev.since;
    rt.transitions = prev.transitions;
    rt.sent = prev.sent;
    rt.received = prev.received;
    for (const [k, n] of prev.rxErrors) rt.rxErrors.set(k, n);
    run.insts.set(rt.name, rt);
    run.open(rt);
    rt.quiet = true;
    run.step(rt, { type: 'start' });
    run.step(rt, { type: 'fault', on: true });
    rt.fault = prev.fault;
    rt.quiet = false;
    p.tracking.track(rt);
    run.rearm(rt);
  }
}

/**
 * A changed instance takes its predecessor's state without a transition: it is started at a
 * time long past, so a former master's down timer has expired and it becomes master again
 * now, its own timers counted from now; none of that is logged, notified or sent.
 */
function restore(p: VrrpBuildParts, prev: InstanceRt, rt: InstanceRt, now: number): void {
  const { run, effects } = p;
  const was = prev.m.state;
  run.stopTimer(prev);
  prev.ch?.close();
  vmacRetire(p.opts.vmac, prev, rt);
  rt.since = prev.since;
  rt.transitions = prev.transitions;
  rt.sent = prev.sent;
  rt.received = prev.received;
  for (const [k, n] of prev.rxErrors) rt.rxErrors.set(k, n);
  rt.quiet = true;
  // The new priority now; a fault that arose meanwhile is applied after, as a real transition.
  p.tracking.track(rt, was !== 'FAULT');
  run.step(rt, { type: 'start' }, was === 'MASTER' ? now - LONG_AGO_MS : now);
  if (was === 'MASTER' && rt.m.state === 'BACKUP')
    run.step(rt, rt.group ? { type: 'group', state: 'MASTER' } : { type: 'timer' });
  rt.quiet = false;
  run.rearm(rt);
  const had = was === 'MASTER' ? prev.vips : [];
  const has = rt.m.state === 'MASTER' ? rt.vips : [];
  const gone = vipsMissingFrom(had, has);
  const added = vipsMissingFrom(has, had);
  if (gone.length > 0) effects.own(rt, gone, false);
  if (added.length > 0) {
    effects.own(rt, added, true);
    effects.announce(added);
  }
}
