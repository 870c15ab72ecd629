/**
 * keepalived's script users and script security over a whole keepalived.conf model, as 2.2.7
 * applies them before the first run (lib/notify.c notify_script_init(), get_default_script_user();
 * check/check_data.c check_check_script_security(); check/check_misc.c
 * check_misc_script_security(); vrrp/vrrp.c check_vrrp_script_security()):
 *
 * - every script gets the uid:gid it runs as: its own `user USER [GROUP]`, else global_defs
 *   `script_user`, else the user `keepalived_script`, else the daemon's own (root), which is
 *   refused when `enable_script_security` is set;
 * - every script is checked (script-security.ts); a MISC_CHECK that may not run is removed (its
 *   real server then has one checker fewer, as keepalived's free_checker() leaves it), a
 *   vrrp_script is removed with the instances' references to it, a notify script is dropped;
 * - without `enable_script_security`, scripts run, and keepalived's "SECURITY VIOLATION" line says
 *   so once for the checkers and once for VRRP.
 *
 * Pure: the file system and the user database come in as interfaces; the findings are notices
 * (logged, never a refused start or reload), worded as keepalived logs them.
 */
import { type ConfigCode, ConfigDiagnostic } from './diagnostics.js';
import type {
  CheckerConfig,
  LvsModel,
  RealServer,
  ScriptSpec,
  VirtualService,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from './model.js';
import { checkScriptSecurity, type ScriptCheck, type ScriptFs } from './script-security.js';

/** The user database as getpwnam(3)/getgrnam(3) answer, and who the daemon is. */
export interface ScriptUsers {
  /** uid and primary gid of a user name, or undefined when unknown. */
  user(name: string): { readonly uid: number; readonly gid: number } | undefined;
  /** gid of a group name, or undefined when unknown. */
  group(name: string): number | undefined;
  /** The daemon's own uid and gid (keepalived's our_uid/our_gid). */
  readonly self: { readonly uid: number; readonly gid: number };
}

/** The secured model and what keepalived would have logged on the way. */
export interface SecuredScripts {
  readonly model: LvsModel;
  readonly findings: readonly ConfigDiagnostic[];
}

/** The user keepalived runs scripts as when none is configured (notify.c get_default_script_user()). */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

type Pos = { readonly file: string; readonly line: number };
type Notify = Readonly<Partial<Record<'master' | 'backup' | 'fault' | 'stop' | 'any', ScriptSpec>>>;

/** keepalived cmd_str(): each word in single quotes, for its log lines. */
function cmdStr(s: ScriptSpec): string {
  return s.argv.map((a, i) => (i === 0 && /^[<>]/.test(a) ? a : `'${a}'`)).join(' ');
}

class Pass {
  readonly findings: ConfigDiagnostic[] = [];
  readonly enforce: boolean;
  private defaultUser: { uid: number; gid: number } | 'failed' | undefined;
  private readonly scriptUser: readonly string[] | undefined;
  flags = { isScript: false, insecure: false };

  constructor(
    model: LvsModel,
    private readonly fs: ScriptFs,
    private readonly users: ScriptUsers,
  ) {
    this.enforce = model.globals.extra.enable_script_security !== undefined;
    this.scriptUser = model.globals.extra.script_user;
  }

  note(code: ConfigCode, text: string, pos: Pos): void {
    this.findings.push(new ConfigDiagnostic('notice', code, text, pos.file, pos.line));
  }

  private resolve(user: string, group: string | undefined): { uid: number; gid: number } | undefined {
    const u = this.users.user(user);
    if (!u) return undefined;
    if (group === undefined) return { uid: u.uid, gid: u.gid };
    const gid = this.users.group(group);
    return gid === undefined ? undefined : { uid: u.uid, gid };
  }

  // get_default_script_user(): decided once, at the first script that needs it.
  private fallback(pos: Pos): { uid: number; gid: number } | undefined {
    if (this.defaultUser === undefined) {
      const [u, g] = this.scriptUser ?? [];
      if (u !== undefined) this.defaultUser = this.resolve(u, g) ?? 'failed';
      else {
        const d = this.resolve(DEFAULT_SCRIPT_USER, undefined);
        if (d) this.defaultUser = d;
        else {
          this.note('ERR_CONFIG_SCRIPT_USER', `Script user '${DEFAULT_SCRIPT_USER}' does not exist`, pos);
          if (this.enforce) {
            this.note(
              'ERR_CONFIG_SCRIPT_USER',
              `Unable to set default user ${DEFAULT_SCRIPT_USER} for script`,
              pos,
            );
            this.defaultUser = 'failed';
          } else this.defaultUser = { ...this.users.self };
        }
      }
    }
    return this.defaultUser === 'failed' ? undefined : this.defaultUser;
  }

  /** Who runs `s`; undefined (with keepalived's line) when that cannot be decided. */
  runAs(s: ScriptSpec, pos: Pos, own: string, dflt: string): { uid: number; gid: number } | undefined {
    if (s.user !== undefined) {
      const r = this.resolve(s.user, s.group);
      if (!r) this.note('ERR_CONFIG_SCRIPT_USER', own, pos);
      return r;
    }
    const r = this.fallback(pos);
    if (!r) this.note('ERR_CONFIG_SCRIPT_USER', dflt, pos);
    return r;
  }

  check(s: ScriptSpec, as: { uid: number; gid: number }, pos: Pos): ScriptCheck {
    const argv0 = s.argv[0] ?? '';
    const c = checkScriptSecurity(this.fs, argv0, as.uid, as.gid, this.enforce);
    for (const m of c.messages) {
      const code = /Unsafe/.test(m) ? 'ERR_CONFIG_SCRIPT_INSECURE' : 'ERR_CONFIG_SCRIPT_UNAVAILABLE';
      this.note(code, m, pos);
    }
    this.flags.isScript ||= c.isScript;
    this.flags.insecure ||= c.insecure;
    return c;
  }

  /** A notify script secured, or undefined when keepalived would drop it. */
  notify(s: ScriptSpec | undefined, type: string, pos: Pos): ScriptSpec | undefined {
    if (!s) return undefined;
    const as = this.runAs(
      s,
      pos,
      `Invalid user/group for ${type} script ${s.argv[0] ?? ''} - ignoring`,
      `Failed to set default user for ${type} script ${s.argv[0] ?? ''} - ignoring`,
    );
    if (!as) return undefined;
    const c = this.check(s, as, pos);
    if (c.inhibit || c.notFound || !c.executable) return undefined;
    return secured(s, c, as);
  }

  notifyMap(n: Notify, pos: Pos): Notify {
    const out: Partial<Record<keyof Notify, ScriptSpec>> = {};
    for (const k of ['master', 'backup', 'fault', 'stop', 'any'] as const) {
      const s = this.notify(n[k], k === 'any' ? 'notify' : `notify_${k}`, pos);
      if (s) out[k] = s;
    }
    return out;
  }

  violation(what: string, pos: Pos): void {
    if (this.enforce || !this.flags.isScript) return;
    const tail = this.flags.insecure ? ' There are insecure scripts.' : '';
    this.note(
      'ERR_CONFIG_SCRIPT_INSECURE',
      `SECURITY VIOLATION - ${what} are being executed but script_security not enabled.${tail}`,
      pos,
    );
  }
}

function secured(s: ScriptSpec, c: ScriptCheck, as: { uid: number; gid: number }): ScriptSpec {
  const argv = c.system ? s.argv : [c.path, ...s.argv.slice(1)];
  return { ...s, argv, uid: as.uid, gid: as.gid };
}

function misc(p: Pass, ck: CheckerConfig): CheckerConfig | undefined {
  if (ck.type !== 'misc') return ck;
  const s = ck.script;
  const as = p.runAs(
    s,
    ck,
    `Failed to set uid/gid for misc checker script ${cmdStr(s)} - removing`,
    `Unable to set default user for misc script ${cmdStr(s)} - removing`,
  );
  if (!as) return undefined;
  const c = p.check(s, as, ck);
  if (c.inhibit)
    p.note('ERR_CONFIG_SCRIPT_INSECURE', `Disabling misc script ${cmdStr(s)} due to insecure`, ck);
  else if (c.notFound)
    p.note(
      'ERR_CONFIG_SCRIPT_UNAVAILABLE',
      `Disabling misc script ${cmdStr(s)} since not found/accessible`,
      ck,
    );
  if (c.inhibit || c.notFound || !(c.executable || c.system)) return undefined;
  return { ...ck, script: secured(s, c, as) };
}

function real(p: Pass, rs: RealServer): RealServer {
  const checkers = rs.checkers.map((ck) => misc(p, ck)).filter((c): c is CheckerConfig => c !== undefined);
  const up = p.notify(rs.notifyUp, 'notify_up', rs);
  const down = p.notify(rs.notifyDown, 'notify_down', rs);
  const { notifyUp: _u, notifyDown: _d, ...rest } = rs;
  return { ...rest, checkers, ...(up ? { notifyUp: up } : {}), ...(down ? { notifyDown: down } : {}) };
}

function service(p: Pass, vs: VirtualService): VirtualService {
  const reals = vs.reals.map((rs) => real(p, rs));
  const up = p.notify(vs.quorumUp, 'quorum_up', vs);
  const down = p.notify(vs.quorumDown, 'quorum_down', vs);
  const { quorumUp: _u, quorumDown: _d, ...rest } = vs;
  return { ...rest, reals, ...(up ? { quorumUp: up } : {}), ...(down ? { quorumDown: down } : {}) };
}

function trackScript(p: Pass, v: VrrpScript): VrrpScript | undefined {
  const s = v.script;
  const as = p.runAs(
    s,
    v,
    `Unable to set uid/gid for script ${cmdStr(s)}`,
    `Unable to set default user for vrrp script ${v.name} - removing`,
  );
  if (!as) return undefined;
  const c = p.check(s, as, v);
  if (c.inhibit) p.note('ERR_CONFIG_SCRIPT_INSECURE', `Disabling track script ${v.name} due to insecure`, v);
  else if (c.notFound)
    p.note('ERR_CONFIG_SCRIPT_UNAVAILABLE', `Disabling track script ${v.name} since not found/accessible`, v);
  if (c.inhibit || c.notFound || !(c.executable || c.system)) return undefined;
  return { ...v, script: secured(s, c, as) };
}

function vrrp(p: Pass, m: LvsModel): LvsModel['vrrp'] {
  const v = m.vrrp;
  const scripts = v.scripts.map((s) => trackScript(p, s)).filter((s): s is VrrpScript => s !== undefined);
  const kept = new Set(scripts.map((s) => s.name));
  const instances = v.instances.map(
    (i): VrrpInstance => ({
      ...i,
      notify: p.notifyMap(i.notify, i),
      trackScripts: i.trackScripts.filter((t) => kept.has(t.name)),
    }),
  );
  const syncGroups = v.syncGroups.map(
    (g): VrrpSyncGroup => ({
      ...g,
      notify: p.notifyMap(g.notify, g),
      trackScripts: g.trackScripts.filter((t) => kept.has(t.name)),
    }),
  );
  return { ...v, scripts, instances, syncGroups };
}

/**
 * Resolves who runs each script of a keepalived.conf model and drops the ones keepalived would
 * not run. ldirectord models pass through unchanged (ldirectord runs its commands as itself).
 */
export function secureScripts(model: LvsModel, fs: ScriptFs, users: ScriptUsers): SecuredScripts {
  if (model.source !== 'keepalived') return { model, findings: [] };
  let out = model;
  const checks = new Pass(model, fs, users);
  const [vs0] = model.services;
  if (vs0) {
    out = { ...out, services: model.services.map((vs) => service(checks, vs)) };
    checks.violation('check scripts', vs0);
  }
  const vr = new Pass(model, fs, users);
  const [vi0] = model.vrrp.instances;
  if (vi0) {
    out = { ...out, vrrp: vrrp(vr, model) };
    vr.violation('scripts', vi0);
  }
  return { model: out, findings: [...checks.findings, ...vr.findings] };
}
