/**
 * Maps an ldirectord virtual's checktype/service to normalised checkers (ldirectord(8)
 * `checktype`), including ldirectord's timeout resolution (`ld_setup`) and failurecount semantics.
 */
import type { DestConfig, ServiceKey } from '../../core/types.js';
import type { SourcePos } from '../diagnostics.js';
import type { CheckerConfig, CheckerConn, CheckerTiming } from '../model.js';
import type { LdGlobals, LdVirtual } from './directives.js';

/** Port numbers of the service names ldirectord configs use (subset of /etc/services). */
export const PORT_NAMES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  smtp: 25,
  domain: 53,
  dns: 53,
  http: 80,
  www: 80,
  pop3: 110,
  pop: 110,
  nntp: 119,
  imap: 143,
  imap2: 143,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  pops: 995,
  oracle: 1521,
  radius: 1812,
  http_proxy: 3128,
  'http-alt': 8080,
  mysql: 3306,
  sip: 5060,
  postgresql: 5432,
  pgsql: 5432,
};

/** Well-known port of a negotiate service, used when the real server's port is 0. */
const SERVICE_PORT: Record<string, number> = {
  ftp: 21,
  smtp: 25,
  dns: 53,
  http: 80,
  pop: 110,
  nntp: 119,
  imap: 143,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pops: 995,
  oracle: 1521,
  radius: 1812,
  http_proxy: 3128,
  mysql: 3306,
  sip: 5060,
  pgsql: 5432,
};

/** Builds the checkers of one real server of a virtual. */
export function checkersFor(
  v: LdVirtual,
  g: LdGlobals,
  service: string,
  key: ServiceKey,
  vport: number,
  dest: DestConfig,
  request: string | undefined,
  receive: string | undefined,
  pos: SourcePos,
): CheckerConfig[] {
  const checkT = v.checktimeout ?? v.negotiatetimeout ?? g.checktimeout ?? g.negotiatetimeout ?? 5;
  const negT = v.negotiatetimeout ?? v.checktimeout ?? g.negotiatetimeout ?? g.checktimeout ?? 30;
  const interval = ((g.fork ? v.checkinterval : undefined) ?? g.checkinterval ?? 10) * 1000;
  const failures = v.failurecount ?? g.failurecount ?? 1;
  // ldirectord takes a server out after `failurecount` consecutive failures, one per pass; a
  // keepalived-style retry count of failurecount−1 spaced by the interval gives the same timing.
  const timing = (timeoutS: number): CheckerTiming => ({
    connectTimeout: timeoutS * 1000,
    retry: failures - 1,
    delayBeforeRetry: interval,
    delayLoop: interval,
    warmup: 0,
    alpha: true,
    logAllFailures: false,
    immediateFirstDown: false,
  });
  const conn: CheckerConn = {
    connectIp: dest.addr,
    connectPort: v.checkport ?? (dest.port || SERVICE_PORT[service] || vport),
  };
  const req = request ?? v.request;
  const rcv = receive ?? v.receive;
  const udp = key.kind === 'addr' && key.protocol === 17;
  const negotiate = (): CheckerConfig | undefined => {
    const t = timing(negT);
    switch (service) {
      case 'none':
        return undefined;
      case 'http':
      case 'https':
      case 'http_proxy':
        return {
          type: service === 'https' ? 'https' : 'http',
          urls: [
            { path: req, statusCodes: [[200, 299]], regexNoMatch: false, ...(rcv ? { regex: rcv } : {}) },
          ],
          httpProtocol: '1.1',
          method: v.httpmethod,
          ...(v.virtualhost ? { virtualhost: v.virtualhost } : {}),
          fastRecovery: false,
          enableSni: false,
          ...conn,
          ...t,
          ...pos,
        };
      case 'smtp':
      case 'submission':
        return { type: 'smtp', heloName: '', ...conn, ...t, ...pos };
      case 'dns':
        return {
          type: 'dns',
          queryType: 'A',
          name: req.replace(/^\//, ''),
          ...(rcv ? { expect: rcv } : {}),
          ...conn,
          ...t,
          ...pos,
        };
      case 'simpletcp':
        return {
          type: 'simpletcp',
          request: req.replace(/^\//, ''),
          ...(rcv ? { receive: rcv } : {}),
          ...conn,
          ...t,
          ...pos,
        };
      default:
        return {
          type: 'negotiate',
          service,
          request: req,
          ...(rcv ? { receive: rcv } : {}),
          ...(v.login ? { login: v.login } : {}),
          ...(v.passwd ? { passwd: v.passwd } : {}),
          ...(v.database ? { database: v.database } : {}),
          ...(v.secret ? { secret: v.secret } : {}),
          ...conn,
          ...t,
          ...pos,
        };
    }
  };
  switch (v.checktype) {
    case 'on':
    case 'off':
      return [];
    case 'connect':
      // ldirectord: a connect check of a UDP service is a ping.
      return [{ type: udp ? 'ping' : 'tcp', ...conn, ...timing(checkT), ...pos }];
    case 'ping':
      return [{ type: 'ping', ...conn, ...timing(checkT), ...pos }];
    case 'external':
    case 'external-perl': {
      const vip = key.kind === 'fwmark' ? String(key.fwmark) : key.addr;
      const argv = [v.checkcommand, vip, String(vport), dest.addr, String(dest.port)];
      return [
        {
          type: 'misc',
          script: { command: argv.join(' '), argv },
          timeout: checkT * 1000,
          dynamic: false,
          ...timing(checkT),
          ...pos,
        },
      ];
    }
    case 'combined': {
      const n = negotiate();
      const tcp: CheckerConfig = { type: 'tcp', ...conn, ...timing(checkT), ...pos };
      return n ? [tcp, { ...n, negotiateEvery: v.negotiateEvery }] : [tcp];
    }
    default: {
      const n = negotiate();
      return n ? [n] : [];
    }
  }
}
