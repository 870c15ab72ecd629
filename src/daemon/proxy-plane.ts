/**
 * `--dataplane proxy`: the socket-level data plane (io/proxy) attached to the daemon's Director.
 * The table stays authoritative, as with the kernel: a VIP the host cannot bind, or a DR/TUN
 * destination a socket proxy cannot honour, is accepted into the table, logged once per command,
 * and shown as unserved in `{q:'status'}` (issue 3: never a table command failure).
 */
import type { Logger } from 'pino';
import { DirectorProxyCore } from '../io/proxy/director-core.js';
import { ProxyDataPlane } from '../io/proxy/proxy-data-plane.js';
import { proxyRefusal } from '../io/proxy/refusal.js';
import type { DataPlaneHandle } from './daemon.js';
import type { DirectorPort } from './director-port.js';

/** Starts the proxy data plane over `port`'s Director. */
export function startProxyPlane(port: DirectorPort, log: Logger): DataPlaneHandle {
  const plane = new ProxyDataPlane({
    core: new DirectorProxyCore(port.director),
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
  });
  plane.start();
  return {
    name: 'proxy',
    onChanges(cmd) {
      const why = proxyRefusal(cmd);
      if (why) log.warn({ op: cmd.op }, `accepted into the table but not served: ${why}`);
      plane.sync();
    },
    vipStatus: () =>
      plane.status().map((s) => ({
        service: s.service,
        serving: s.served,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
      })),
    close: () => plane.close(),
  };
}
