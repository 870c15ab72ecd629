/**
 * What the table and the health checkers would refuse, found before lvsd starts. A checked
 * model is loaded into a scratch service table built from the same core code lvsd uses (the
 * kernel's checks of ip_vs_ctl.c `ip_vs_add_service`/`ip_vs_add_dest`, as service-table.ts
 * models them) and every refusal becomes a finding at the virtual or real server's line, with
 * the code lvsd would log at start (ERR_LVS_NO_SCHEDULER, ERR_LVS_RANGE, ...). Neither
 * keepalived nor ldirectord checks these at parse time: both send them to the kernel and log the
 * failure (keepalived ipvswrapper.c `ipvs_talk`, ldirectord `ld_add_virtual`), so `-t` says OK
 * and the service is missing at run time. The checkers' patterns are compiled as the probes
 * compile them (src/health/probes: JavaScript RegExp), so a pattern a probe could not build is a
 * finding too, instead of a checker that cannot run.
 */
import { TableError, type TableErrorCode } from '../core/errors.js';
import { findScheduler } from '../core/schedulers/index.js';
import { ServiceTable } from '../core/service-table.js';
import { serviceKeyText } from '../core/types.js';
import { ConfigDiagnostic, type SourcePos } from './diagnostics.js';
import type { CheckerConfig, LvsModel, RealServer } from './model.js';

function refusal(e: unknown, what: string, pos: SourcePos): ConfigDiagnostic {
  const code = e instanceof TableError ? (e.code as TableErrorCode) : 'ERR_LVS_INVALID';
  const msg = e instanceof Error ? e.message : String(e);
  return new ConfigDiagnostic(
    'error',
    code,
    `${what}: ${msg} (the table would refuse it)`,
    pos.file,
    pos.line,
  );
}

/** The patterns a checker compiles at run time, each with what it is called in messages. */
function patternsOf(c: CheckerConfig): { what: string; source: string }[] {
  switch (c.type) {
    case 'http':
    case 'https':
      return c.urls
        .filter((u) => u.regex !== undefined)
        .map((u) => ({ what: 'regex', source: u.regex ?? '' }));
    case 'simpletcp':
      return c.receive ? [{ what: 'receive', source: c.receive }] : [];
    case 'dns':
      return c.expect ? [{ what: 'expect', source: c.expect }] : [];
    default:
      return [];
  }
}

function checkerFindings(r: RealServer, out: ConfigDiagnostic[]): void {
  for (const c of r.checkers) {
    for (const p of patternsOf(c)) {
      try {
        new RegExp(p.source);
      } catch (e) {
        out.push(
          new ConfigDiagnostic(
            'error',
            'ERR_CONFIG_BAD_VALUE',
            `${p.what} '${p.source}' is not a valid pattern: ${(e as Error).message}`,
            c.file,
            c.line,
          ),
        );
      }
    }
  }
}

/**
 * Every value of `model` that the service table or a health checker would refuse, as located
 * error findings. Each service is added with all its real servers (any of them may be alive at
 * run time) and its sorry server; the real servers of a service refused for its settings are
 * checked under a stand-in service, so one refusal does not hide another.
 */
export function tableFindings(model: LvsModel): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  const table = new ServiceTable({ schedulers: findScheduler });
  for (const svc of model.services) {
    for (const key of svc.keys) {
      const name = `virtual server ${serviceKeyText(key)}`;
      try {
        table.addService(key, svc.config);
      } catch (e) {
        out.push(refusal(e, name, svc));
        // The real servers are still checked, under a stand-in with the table's plainest
        // settings, unless the key itself is refused.
        const netmask = key.af === 6 ? '128' : '255.255.255.255';
        const plain = { ...svc.config, scheduler: 'rr', pe: '', netmask, mhTableSize: undefined };
        try {
          table.addService(key, plain);
        } catch {
          continue;
        }
      }
      for (const r of svc.reals) {
        try {
          table.addDest(key, r.dest);
        } catch (e) {
          out.push(refusal(e, `${name} real server ${r.dest.addr}:${r.dest.port}`, r));
        }
      }
      const sorry = svc.sorry?.dest;
      // tableOf puts a sorry server that is also a real server in the real server's place.
      if (sorry && !svc.reals.some((r) => r.dest.addr === sorry.addr && r.dest.port === sorry.port)) {
        try {
          table.addDest(key, sorry);
        } catch (e) {
          out.push(refusal(e, `${name} sorry server ${sorry.addr}:${sorry.port}`, svc));
        }
      }
    }
    for (const r of svc.reals) checkerFindings(r, out);
  }
  return out;
}
