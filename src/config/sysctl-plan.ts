/**
 * lvsd's start-up sysctls: the assignments of the sysctl files in reading order, then the
 * command line's `--sysctl`s, each checked and tried in turn on a scratch copy of the settings as
 * the kernel takes writes one at a time. A value it would refuse is reported with its origin and
 * left out; the rest become `set-sysctl` commands that the daemon applies through the one
 * `apply` before anything else starts. Later writes win, so the command line has the last word.
 * Pure.
 */
import type { Command } from '../control/commands.js';
import {
  NOT_YET_HONOURED,
  parseSysctlValue,
  type SysctlSetting,
  settingText,
  sysctlCommands,
  sysctlName,
} from '../control/sysctl-values.js';
import { LvsError } from '../core/errors.js';
import { Settings } from '../core/settings.js';
import type { SysctlName } from '../core/sysctls.js';
import { originText, type SysctlAssignment, type SysctlFinding, type SysctlOrigin } from './sysctl-conf.js';

/** A `--sysctl NAME=VALUE` already checked by lvsd's option parser. */
export interface SysctlArg {
  readonly arg: string;
  readonly setting: SysctlSetting;
}

/** Where one name's final value came from. */
export interface SysctlSource {
  readonly name: SysctlName;
  /** As `sysctl` prints it. */
  readonly value: string;
  readonly from: string;
}

/** The outcome of planning. */
export interface SysctlPlan {
  /** Apply these in order to a director at its defaults. */
  readonly commands: Command[];
  /** Each name set, with the origin of the value that stands (in the order of their last writes). */
  readonly sources: SysctlSource[];
  /** Refused or unsupported file lines (warnings) and ignored `-` lines (debug). */
  readonly findings: SysctlFinding[];
  /** `--sysctl`s the settings refused in context (e.g. a threshold not below the period). */
  readonly refusedArgs: SysctlFinding[];
  /** Names set here that lvsd stores but does not act on yet (core/settings.ts knows them). */
  readonly notHonoured: SysctlName[];
}

/** Plans the start-up sysctls. Never throws. */
export function planSysctls(files: readonly SysctlAssignment[], args: readonly SysctlArg[]): SysctlPlan {
  const scratch = new Settings();
  const commands: Command[] = [];
  const sources = new Map<SysctlName, SysctlSource>();
  const findings: SysctlFinding[] = [];
  const refusedArgs: SysctlFinding[] = [];

  const attempt = (setting: SysctlSetting, origin: SysctlOrigin): LvsError | undefined => {
    const cmds = sysctlCommands(setting, scratch.sysctls());
    const before = scratch.sysctls();
    try {
      for (const c of cmds) if (c.op === 'set-sysctl') scratch.set(c.name, c.value);
    } catch (e) {
      // Undo a half-written pair so the scratch copy stays what the director will hold.
      for (const c of cmds) if (c.op === 'set-sysctl') scratch.set(c.name, before[c.name]);
      return e instanceof LvsError ? e : new LvsError('ERR_LVS_INVALID', String(e));
    }
    commands.push(...cmds);
    sources.delete(setting.name);
    sources.set(setting.name, { name: setting.name, value: settingText(setting), from: originText(origin) });
    if (setting.name === 'sync_threshold' && setting.values.length === 2) sources.delete('sync_period');
    return undefined;
  };

  for (const a of files) {
    const level = a.ignoreFailure ? 'debug' : 'warn';
    let setting: SysctlSetting;
    try {
      setting = parseSysctlValue(sysctlName(a.key), a.value);
    } catch (e) {
      const err = e instanceof LvsError ? e : new LvsError('ERR_LVS_SYSCTL_VALUE', String(e));
      findings.push({ origin: a.origin, code: err.code, message: `${err.message}; not applied`, level });
      continue;
    }
    const err = attempt(setting, a.origin);
    if (err) findings.push({ origin: a.origin, code: err.code, message: refusal(setting, err), level });
  }
  for (const a of args) {
    const err = attempt(a.setting, { arg: a.arg });
    if (err) {
      refusedArgs.push({
        origin: { arg: a.arg },
        code: err.code,
        message: refusal(a.setting, err),
        level: 'warn',
      });
    }
  }
  const names = [...sources.keys()];
  return {
    commands,
    sources: [...sources.values()],
    findings,
    refusedArgs,
    notHonoured: names.filter((n) => NOT_YET_HONOURED.has(n)),
  };
}

function refusal(s: SysctlSetting, e: LvsError): string {
  return `${s.name} = ${settingText(s).replace('\t', ' ')} refused (${e.message}); not applied`;
}
