/**
 * How lvsd builds its sync daemons: a {@link SyncServiceFactory} for createDirectorPort from a
 * transport (real sockets in lvsd, the fake network in tests), a clock, a log and the conn-level
 * hooks: by default the director's {@link SyncPlaneJoint}, which attaches the master daemon to
 * the data plane's SyncMaster and applies the backup's entries through the plane.
 */
import type { Director } from '../../core/director.js';
import type { Clock } from '../../health/runner.js';
import type { SyncTransport } from '../../sync/sync-transport.js';
import type { SyncServiceFactory } from '../director-port.js';
import type { SyncPlaneJoint } from './sync-plane-joint.js';
import { codecSyncProtocol, type SyncConnHooks } from './sync-protocol.js';
import { type SyncLog, SyncService } from './sync-service.js';

/** Options of {@link syncServiceFactory}. */
export interface SyncFactoryOptions {
  readonly transport: SyncTransport;
  readonly clock?: Clock;
  readonly log?: SyncLog;
  /** The conn-level hooks for a director (tests); default the director's plane joint. */
  readonly hooks?: (director: Director) => SyncConnHooks;
}

/** A factory building one SyncService per director, over the codec protocol. */
export function syncServiceFactory(o: SyncFactoryOptions): SyncServiceFactory {
  return (director: Director, sysctl, joint: SyncPlaneJoint) =>
    new SyncService({
      transport: o.transport,
      protocol: codecSyncProtocol(o.hooks ? o.hooks(director) : joint),
      sysctl,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
}
