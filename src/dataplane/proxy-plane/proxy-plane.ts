/**
 * `--dataplane proxy`: the socket-level data plane (io/proxy) attached to the daemon's Director.
 * The table stays authoritative, as with the kernel: a VIP the host cannot bind is accepted into
 * the table and shown as unserved in `{q:'status'}` (issue 3). DR/TUN destinations are the one
 * exception: `lvsadm -a/-e` with `-g`/`-i` is refused with a message naming the packet plane
 * (issue 4). Rules loaded from files (--restore, --config) are not refused, only logged, so a
 * keepalived.conf written for kernel DR still loads.
 */
import type { Logger } from 'pino';
import { dataplaneFaultChannel } from '../../control/channels.js';
import type { DataPlaneHandle, DirectorPort } from '../../control/ports.js';
import { DirectorProxyCore } from './director-core.js';
import { ProxyDataPlane } from './proxy-data-plane.js';
import { proxyRefusal } from './refusal.js';

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
      if (why && dataplaneFaultChannel.hasSubscribers)
        dataplaneFaultChannel.publish({
          source: plane,
          plane: 'proxy',
          code: 'unserved-change',
          detail: { op: cmd.op, reason: why },
        });
      plane.sync();
    },
    refuse: proxyRefusal,
    vipStatus: () =>
      plane.status().map((s) => ({
        service: s.service,
        serving: s.served,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
      })),
    close: () => plane.close(),
  };
}
