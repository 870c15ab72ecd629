/**
 * Probe registry: builds the Checker for a model checker config (one file per protocol,
 * as seesaw's healthcheck package does). ldirectord negotiate services without a dedicated prober (ftp, imap,
 * ldap, sql, radius, sip, ...) are checked by TCP connect, and say so in their message.
 */
import type { CheckerConfig, VirtualService } from '../../config/model.js';
import type { CheckContext, Checker, Result } from '../checker.js';
import { DnsChecker } from './dns.js';
import { FileChecker } from './file.js';
import { HttpChecker } from './http.js';
import { MiscChecker, runAsOf } from './misc.js';
import { type IcmpEcho, PingChecker } from './ping.js';
import { SimpleTcpChecker } from './simpletcp.js';
import { SmtpChecker } from './smtp.js';
import { TcpChecker } from './tcp.js';
import { UdpChecker } from './udp.js';

/** Options for building probes. */
export interface ProbeOptions {
  /** The in-process ICMP echo (default: the native addon's, falling back to `ping`; see ping.ts). */
  readonly icmp?: IcmpEcho;
  /** The ping binary (default `ping` on PATH). */
  readonly pingPath?: string;
}

class ConnectOnly implements Checker {
  readonly type = 'negotiate';
  constructor(
    private readonly inner: TcpChecker,
    private readonly service: string,
  ) {}
  async check(ctx: CheckContext): Promise<Result> {
    const r = await this.inner.check(ctx);
    return { ...r, message: `${this.service} (connect only): ${r.message}` };
  }
}

/** Creates the probe for checker `c` of a real server of `svc`. */
export function createChecker(c: CheckerConfig, svc: VirtualService, opts: ProbeOptions = {}): Checker {
  if (c.type === 'misc') return new MiscChecker(c.script.argv, c.dynamic, runAsOf(c.script));
  if (c.type === 'file') return new FileChecker(c.trackFile, c.weight, c.reverse);
  const conn = {
    host: c.connectIp,
    port: c.connectPort,
    ...(c.bindTo ? { bindTo: c.bindTo } : {}),
    ...(c.bindPort ? { bindPort: c.bindPort } : {}),
  };
  switch (c.type) {
    case 'tcp':
      return new TcpChecker(conn);
    case 'http':
    case 'https': {
      const ip = c.connectIp.includes(':') ? `[${c.connectIp}]` : c.connectIp;
      return new HttpChecker({
        tls: c.type === 'https',
        host: c.connectIp,
        port: c.connectPort,
        method: c.method,
        // Host precedence (check_http.c http_request): url > checker > service > ip:port.
        hostHeader: c.virtualhost ?? svc.virtualhost ?? `${ip}:${c.connectPort}`,
        urls: c.urls.map((u) => ({
          path: u.path,
          statusCodes: u.statusCodes,
          regexNoMatch: u.regexNoMatch,
          ...(u.digest ? { digest: u.digest } : {}),
          ...(u.regex ? { regex: u.regex } : {}),
          ...(u.virtualhost ? { host: u.virtualhost } : {}),
        })),
        ...(c.bindTo ? { bindTo: c.bindTo } : {}),
        ...(c.enableSni ? { sni: c.sniName ?? c.virtualhost ?? svc.virtualhost ?? '' } : {}),
      });
    }
    case 'smtp':
      return new SmtpChecker(conn, c.heloName);
    case 'dns':
      return new DnsChecker({
        host: c.connectIp,
        port: c.connectPort,
        name: c.name,
        queryType: c.queryType,
        ...(c.expect ? { expect: c.expect } : {}),
        ...(c.bindTo ? { bindTo: c.bindTo } : {}),
      });
    case 'udp':
      return new UdpChecker({
        ...conn,
        payload: c.payload,
        ...(c.requireReply ? { requireReply: c.requireReply } : {}),
        minReplyLength: c.minReplyLength,
        maxReplyLength: c.maxReplyLength,
      });
    case 'ping':
      return new PingChecker(c.connectIp, opts.icmp, opts.pingPath);
    case 'simpletcp':
      return new SimpleTcpChecker(conn, c.request, c.receive);
    case 'negotiate':
      return new ConnectOnly(new TcpChecker(conn), c.service);
  }
}
