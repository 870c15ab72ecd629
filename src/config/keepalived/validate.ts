/**
 * keepalived's post-parse fix-ups for LVS objects (check_data.c `validate_check_config`)
 * and the conversion of raw blocks into the normalised model; checker blocks are
 * completed in complete-checker.ts (timing resolution).
 */
import {
  type DestConfig,
  FWD,
  PROTO,
  type Protocol,
  type ServiceConfig,
  type ServiceKey,
  SVC_F,
  serviceKeyText,
} from '../../core/types.js';
import type { Diagnostics } from '../diagnostics.js';
import type { CheckerConfig, RealServer, VirtualService } from '../model.js';
import { completeChecker } from './complete-checker.js';
import type { RawGroup, RawMethod, RawVs } from './raw.js';

const NAT: RawMethod = { fwd: FWD.MASQ, tunType: 0, tunPort: 0, tunFlags: 0 };
const PROTO_NAME: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };
/** Converts validated raw virtual servers to model services; drops what keepalived drops. */
export function completeServices(
  d: Diagnostics,
  vss: RawVs[],
  groups: Map<string, RawGroup>,
): VirtualService[] {
  const out: VirtualService[] = [];
  const seen = new Set<string>();
  for (const vs of vss) {
    const s = completeVs(d, vs, groups);
    if (!s) continue;
    if (seen.has(s.id)) {
      d.error('ERR_CONFIG_DUPLICATE', `virtual server ${s.id} defined twice - ignoring the second`, vs);
      continue;
    }
    seen.add(s.id);
    out.push(s);
  }
  return out;
}

function label(vs: RawVs): string {
  const p = vs.protocol === undefined ? 'none' : PROTO_NAME[vs.protocol];
  if (vs.kind === 'fwmark') return `FWM ${vs.fwmark}`;
  if (vs.kind === 'group') return `group ${vs.group}`;
  return `[${vs.addr}]:${p}:${vs.port}`;
}

function completeVs(d: Diagnostics, vs: RawVs, groups: Map<string, RawGroup>): VirtualService | undefined {
  if (vs.reals.length === 0) {
    d.error('ERR_CONFIG_IGNORED', `virtual server ${label(vs)} has no real servers - ignoring`, vs);
    return undefined;
  }
  const group = vs.kind === 'group' ? groups.get(vs.group!) : undefined;
  if (vs.kind === 'group' && (!group || group.entries.length === 0)) {
    d.error('ERR_CONFIG_IGNORED', `virtual server group ${vs.group} not defined - ignoring`, vs);
    return undefined;
  }
  if (vs.kind === 'fwmark' && vs.protocol !== undefined) {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `virtual server ${label(vs)}: protocol specified for fwmark - protocol will be ignored`,
      vs,
    );
    vs.protocol = undefined;
  }
  let protocol: Protocol = vs.protocol ?? PROTO.UDP;
  if (vs.kind !== 'fwmark' && vs.protocol === undefined) {
    d.warn('ERR_CONFIG_DEFAULTED', `virtual server ${label(vs)}: no protocol set - defaulting to UDP`, vs);
    vs.protocol = protocol = PROTO.UDP;
  }
  if (vs.sched === undefined) {
    d.warn(
      'ERR_CONFIG_DEFAULTED',
      `virtual server ${label(vs)}: no scheduler set, setting default 'wlc'`,
      vs,
    );
    vs.sched = 'wlc';
  }
  if (vs.method === undefined) {
    d.warn(
      'ERR_CONFIG_DEFAULTED',
      `virtual server ${label(vs)}: no forwarding method set, setting default NAT`,
      vs,
    );
    vs.method = NAT;
  }
  if (vs.ops && vs.kind !== 'fwmark' && protocol !== PROTO.UDP) {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `virtual server ${label(vs)}: one-packet scheduling requires UDP - clearing`,
      vs,
    );
    vs.ops = false;
  }
  if (vs.kind === 'addr' && vs.port === 0 && vs.persistTimeout === undefined) {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `virtual server ${label(vs)}: zero port only valid for persistent services - setting`,
      vs,
    );
    vs.persistTimeout = 360;
  }
  if (group?.entries.some((e) => e.kind === 'addr' && e.port === 0) && vs.persistTimeout === undefined) {
    vs.persistTimeout = 360;
  }
  if (vs.haSuspend && vs.kind === 'fwmark') {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `virtual server ${label(vs)}: ha_suspend not valid for fwmark - clearing`,
      vs,
    );
    vs.haSuspend = false;
  }
  const keys = serviceKeys(vs, protocol, group);
  const reals = completeReals(d, vs);
  if (reals.length === 0) return undefined;
  const total = reals.reduce((a, r) => a + r.dest.weight, 0);
  if (vs.quorum > total) {
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `quorum ${vs.quorum} for ${label(vs)} exceeds total weight of real servers ${total}, reducing quorum to ${total}`,
      vs,
    );
    vs.quorum = total;
  }
  if (vs.hysteresis > 0 && vs.hysteresis >= vs.quorum) {
    const h = Math.max(0, vs.quorum - 1);
    d.warn(
      'ERR_CONFIG_ADJUSTED',
      `virtual server ${label(vs)}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`,
      vs,
    );
    vs.hysteresis = h;
  }
  const config: ServiceConfig = {
    scheduler: vs.sched,
    flags:
      vs.flags | (vs.persistTimeout !== undefined ? SVC_F.PERSISTENT : 0) | (vs.ops ? SVC_F.ONEPACKET : 0),
    timeout: vs.persistTimeout ?? 0,
    netmask: vs.granularity ?? (vs.af === 6 ? '128' : '255.255.255.255'),
    pe: vs.pe ?? '',
  };
  let sorry: VirtualService['sorry'];
  if (vs.sorry) {
    const m = vs.sorry.method ?? vs.method;
    const same = reals.find(
      (r) => r.dest.addr === vs.sorry!.addr && r.dest.port === (vs.sorry!.port ?? vs.port),
    );
    sorry = {
      dest: dest(
        vs.sorry.addr,
        m.fwd === FWD.MASQ || vs.kind !== 'addr' ? (vs.sorry.port ?? vs.port) : vs.port,
        vs.sorry.af,
        m,
        1,
        0,
        0,
      ),
      // check_data.c: a sorry server that is also a real server gets the real server's inhibit flag.
      inhibit: same ? same.inhibitOnFailure : vs.sorry.inhibit,
    };
  }
  const id = vs.kind === 'group' ? `group ${vs.group} ${PROTO_NAME[protocol]}` : serviceKeyText(keys[0]!);
  return {
    id,
    keys,
    config,
    reals,
    ...(sorry ? { sorry } : {}),
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    ...(vs.quorumUp ? { quorumUp: vs.quorumUp } : {}),
    ...(vs.quorumDown ? { quorumDown: vs.quorumDown } : {}),
    omega: vs.omega,
    haSuspend: vs.haSuspend,
    checksOff: false,
    ...(vs.virtualhost ? { virtualhost: vs.virtualhost } : {}),
    ...(vs.name ? { name: vs.name } : {}),
    file: vs.file,
    line: vs.line,
  };
}

function serviceKeys(vs: RawVs, protocol: Protocol, group: RawGroup | undefined): ServiceKey[] {
  const fwAf = vs.ipFamily ?? vs.reals[0]?.af ?? 4;
  if (vs.kind === 'addr') return [{ kind: 'addr', af: vs.af, protocol, addr: vs.addr!, port: vs.port }];
  if (vs.kind === 'fwmark') return [{ kind: 'fwmark', af: fwAf, fwmark: vs.fwmark! }];
  return (group?.entries ?? []).map((e) =>
    e.kind === 'addr'
      ? { kind: 'addr' as const, af: e.af, protocol, addr: e.addr, port: e.port }
      : { kind: 'fwmark' as const, af: e.af ?? fwAf, fwmark: e.fwmark },
  );
}

function dest(
  addr: string,
  port: number,
  af: 4 | 6,
  m: RawMethod,
  weight: number,
  u: number,
  l: number,
): DestConfig {
  return {
    addr,
    port,
    af,
    fwd: m.fwd,
    weight,
    uThreshold: u,
    lThreshold: l,
    tunType: m.tunType,
    tunPort: m.tunPort,
    tunFlags: m.tunFlags,
  };
}

function completeReals(d: Diagnostics, vs: RawVs): RealServer[] {
  const out: RealServer[] = [];
  const seen = new Set<string>();
  for (const rs of vs.reals) {
    const m = rs.method ?? vs.method!;
    const tun = m.fwd === FWD.TUNNEL;
    if (vs.kind === 'addr' && rs.af !== vs.af && !tun) {
      d.error(
        'ERR_CONFIG_CONFLICT',
        `real server ${rs.addr} address family differs from virtual server ${label(vs)} - removing`,
        rs,
      );
      continue;
    }
    let port = rs.port;
    if (vs.kind === 'addr' && m.fwd !== FWD.MASQ) {
      if (port !== undefined && port !== vs.port) {
        d.warn(
          'ERR_CONFIG_ADJUSTED',
          `virtual server ${label(vs)} and real server [${rs.addr}]:${port} ports don't match - resetting`,
          rs,
        );
      }
      port = vs.port;
    } else if (vs.kind === 'fwmark' && m.fwd !== FWD.MASQ && port !== undefined && port !== 0) {
      d.warn(
        'ERR_CONFIG_ADJUSTED',
        `real server [${rs.addr}]:${port} of ${label(vs)}: port ignored for non-NAT fwmark service`,
        rs,
      );
      port = 0;
    }
    port ??= vs.port;
    const key = `${rs.addr}|${port}`;
    if (seen.has(key)) {
      d.warn(
        'ERR_CONFIG_DUPLICATE',
        `VS ${label(vs)}: real server [${rs.addr}]:${port} is duplicated - removing second rs`,
        rs,
      );
      continue;
    }
    seen.add(key);
    const alpha = rs.alpha ?? vs.alpha ?? false;
    const checkers = rs.checkers
      .map((c) => completeChecker(d, c, rs, vs, port!))
      .filter((c): c is CheckerConfig => c !== undefined);
    out.push({
      dest: dest(rs.addr, port, rs.af, m, rs.weight ?? vs.weight, rs.uThreshold, rs.lThreshold),
      checkers,
      inhibitOnFailure: rs.inhibit ?? vs.inhibit,
      ...(rs.notifyUp ? { notifyUp: rs.notifyUp } : {}),
      ...(rs.notifyDown ? { notifyDown: rs.notifyDown } : {}),
      alpha,
      // check_data.c: real servers default smtp_alert on (backward compatibility), unlike VS and VRRP.
      smtpAlert: rs.smtpAlert ?? true,
      file: rs.file,
      line: rs.line,
    });
  }
  return out;
}
