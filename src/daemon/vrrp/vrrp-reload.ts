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
  if (primary === undefined) {
    log?.('error', `(${vi.name}) no IPv${af} address on ${ifname}: instance not started`);
    return undefined;
  }
  try {
    const group = (name: string): GroupRt | undefined => p.run.groups.get(name);
    return newInstanceRt(vi, model, ifname, primary, group, p.clock.now());
  } catch (e) {
    log?.('error', `(${vi.name}) ${errText(e)}: instance not started`);
    return undefined;
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
