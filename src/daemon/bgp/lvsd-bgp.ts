/**
 * lvsd's `--bgp` wiring: a BgpAnnouncer on BIRD's real control socket and include file, fed by
 * the running director (table, data plane status, health checks' quorum). programs/lvsd/main.ts
 * starts it once the daemon serves and stops it first at SIGTERM, so the router withdraws the
 * VIPs while lvsd still carries the connections it has.
 */
import type { Logger } from 'pino';
import type { LvsModel } from '../../config/model.js';
import type { HealthView } from '../../control/health-views.js';
import type { VipStatus } from '../../control/protocol.js';
import type { ServiceKey } from '../../core/types.js';
import { BirdSocketPort } from '../../io/bird/bird-socket.js';
import { BgpAnnouncer } from './bgp-announcer.js';
import { quorumByService } from './bgp-quorum.js';

/** The director's state the decision reads, at one instant. */
export interface LvsdBgpState {
  readonly services: readonly ServiceKey[];
  /** The data plane's status; absent without a data plane. */
  readonly status?: readonly VipStatus[];
  readonly model?: LvsModel;
  readonly health?: HealthView;
}

/** The announcer for `--bgp` options `o`, reading `state` and logging to `log`. */
export function lvsdBgpAnnouncer(
  o: { readonly include: string; readonly socket: string; readonly protocol: string },
  log: Logger,
  state: () => LvsdBgpState,
): BgpAnnouncer {
  return new BgpAnnouncer(o, {
    bird: new BirdSocketPort(o.include, o.socket),
    log: (level, msg, fields) => log[level]({ include: o.include, socket: o.socket, ...fields }, msg),
    input: () => {
      const s = state();
      return {
        services: s.services,
        ...(s.status ? { status: s.status } : {}),
        quorum: quorumByService(s.model, s.health),
      };
    },
  });
}
