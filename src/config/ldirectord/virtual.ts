/**
 * ldirectord `virtual=` section directives (ldirectord(8); ldirectord `read_config` inner loop).
 */
import type { Diagnostics } from '../diagnostics.js';
import { commonDirective, LD_CHECKTYPES, LD_SERVICES, type LdVirtual, parseFallback } from './directives.js';
import { type LdSection, unquote } from './lexer.js';

/** Reads the body of one section into settings with ldirectord's per-virtual defaults. */
export function parseVirtualBody(d: Diagnostics, sec: LdSection): LdVirtual {
  const v: LdVirtual = {
    reals: [],
    checktype: 'negotiate',
    negotiateEvery: 0,
    request: '/',
    receive: '',
    httpmethod: 'GET',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    checkcommand: '/bin/true',
    scheduler: 'wrr',
    ops: false,
  };
  for (const x of sec.body) {
    if (commonDirective(d, x, v)) continue;
    const val = x.value;
    const quoted = /^"(.*)"/.exec(val)?.[1];
    switch (x.key) {
      case 'real':
      case 'real6':
        if ((x.key === 'real6') !== sec.v6) {
          d.error(
            'ERR_CONFIG_CONFLICT',
            `cannot specify "${x.key}" here. please use "${sec.v6 ? 'real6' : 'real'}" instead`,
            x,
          );
        } else v.reals.push({ spec: val, line: x.line, v6: sec.v6 });
        break;
      case 'request':
        if (!quoted) d.error('ERR_CONFIG_BAD_VALUE', 'no request string specified', x);
        else v.request = quoted.startsWith('/') ? quoted : `/${quoted}`;
        break;
      case 'receive':
        if (!quoted) d.error('ERR_CONFIG_BAD_VALUE', 'invalid receive string', x);
        else v.receive = quoted;
        break;
      case 'checktype':
        if (/^\d+/.test(val)) {
          v.checktype = 'combined';
          v.negotiateEvery = Number(/^\d+/.exec(val)![0]);
        } else if (LD_CHECKTYPES.has(/^[\w-]+/.exec(val)?.[0] ?? '')) v.checktype = /^[\w-]+/.exec(val)![0];
        else
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number',
            x,
          );
        break;
      case 'checkcommand':
        if (unquote(val) === '') d.error('ERR_CONFIG_BAD_VALUE', 'invalid check command', x);
        else v.checkcommand = unquote(val);
        break;
      case 'checkport': {
        const p = Number(/^\d+/.exec(val)?.[0] ?? Number.NaN);
        if (p > 0 && p < 65536) v.checkport = p;
        else d.error('ERR_CONFIG_BAD_VALUE', 'checkport must be in range 1..65535', x);
        break;
      }
      case 'login':
      case 'passwd':
      case 'database':
      case 'secret':
        if (!quoted) d.error('ERR_CONFIG_BAD_VALUE', `invalid ${x.key}`, x);
        else v[x.key] = quoted;
        break;
      case 'load':
        if (quoted && /\w/.test(quoted)) v.load = quoted;
        else d.error('ERR_CONFIG_BAD_VALUE', 'invalid string for load testing', x);
        break;
      case 'scheduler': {
        // ldirectord accepts any [a-z]+ so new kernel schedulers need no update (its own comment).
        const m = /^[a-z]+/.exec(val);
        if (m) v.scheduler = m[0];
        else d.error('ERR_CONFIG_BAD_VALUE', 'invalid scheduler, should be only lowercase letters (a-z)', x);
        break;
      }
      case 'persistent': {
        const m = /^\d+/.exec(val);
        if (m) v.persistent = Number(m[0]);
        else d.error('ERR_CONFIG_BAD_VALUE', 'invalid persistent timeout', x);
        break;
      }
      case 'schedflags':
        if (/\S/.test(val)) v.schedflags = val;
        else d.error('ERR_CONFIG_BAD_VALUE', 'invalid sched-flags', x);
        break;
      case 'netmask':
        if (
          sec.v6
            ? /^\d+$/.test(val) && Number(val) >= 1 && Number(val) <= 128
            : /^\d+\.\d+\.\d+\.\d+$/.test(val)
        )
          v.netmask = val;
        else
          d.error(
            'ERR_CONFIG_BAD_VALUE',
            sec.v6
              ? 'invalid netmask: a prefix length between 1 and 128 is required'
              : 'invalid netmask: dotted quad notation is required',
            x,
          );
        break;
      case 'protocol':
        v.protocol = /^\w+/.exec(val)?.[0] ?? '';
        if (v.protocol === '') d.error('ERR_CONFIG_BAD_VALUE', 'invalid protocol', x);
        break;
      case 'ops':
        if (val === 'yes' || val === 'no') v.ops = val === 'yes';
        else d.error('ERR_CONFIG_BAD_VALUE', "ops must be 'yes' or 'no'", x);
        break;
      case 'service': {
        const s = /^\w+/.exec(val)?.[0] ?? '';
        if (!LD_SERVICES.has(s)) d.error('ERR_CONFIG_BAD_VALUE', `unknown service '${val}'`, x);
        else v.service = s;
        break;
      }
      case 'httpmethod': {
        const m = (/^\w+/.exec(val)?.[0] ?? '').toUpperCase();
        if (m === 'GET' || m === 'HEAD') v.httpmethod = m;
        else d.error('ERR_CONFIG_BAD_VALUE', 'httpmethod must be GET or HEAD', x);
        break;
      }
      case 'virtualhost':
        v.virtualhost = /^"?([^"]*)"?/.exec(val)![1];
        break;
      case 'fallback':
      case 'fallback6':
        if ((x.key === 'fallback6') !== sec.v6) {
          d.error(
            'ERR_CONFIG_CONFLICT',
            `cannot specify "${x.key}" here. please use "${sec.v6 ? 'fallback6' : 'fallback'}" instead`,
            x,
          );
        } else v.fallback = parseFallback(d, x) ?? v.fallback;
        break;
      case 'monitorfile':
        v.monitorfile = unquote(val);
        break;
      case 'servicename':
        v.servicename = val;
        break;
      case 'comment':
        v.comment = val;
        break;
      default:
        d.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown command "${x.key}=${val}"`, x);
    }
  }
  return v;
}
