/**
 * How lvsd builds its sync daemons: a {@link SyncServiceFactory} for createDirectorPort from a
 * transport (real sockets in lvsd, the fake network in tests), a clock, a log and the conn-level
 * hooks. Until the master/backup logic is wired (src/sync SyncMaster feeding the sink from the
 * data path, applySyncEntry applying received entries), {@link unwiredSyncHooks} stands in: the
 * daemons run, open their sockets and move datagrams, but the master has no conns to send and
 * the backup only counts what it receives.
 */
import type { Director } from '../../core/director.js';
import type { Clock } from '../../health/runner.js';
import type { SyncTransport } from '../../sync/sync-transport.js';
import type { SyncServiceFactory } from '../director-port.js';
import { codecSyncProtocol, type SyncConnHooks } from './sync-protocol.js';
import { type SyncLog, SyncService } from './sync-service.js';

/** Options of {@link syncServiceFactory}. */
export interface SyncFactoryOptions {
  readonly transport: SyncTransport;
  readonly clock?: Clock;
  readonly log?: SyncLog;
  /** The conn-level hooks for a director; default {@link unwiredSyncHooks}. */
  readonly hooks?: (director: Director) => SyncConnHooks;
}

/** Hooks that feed nothing and apply nothing (see the file comment). */
export function unwiredSyncHooks(): SyncConnHooks {
  return {
    attachMaster: () => () => {},
    applyEntry: () => {},
  };
}

/** A factory building one SyncService per director, over the codec protocol. */
export function syncServiceFactory(o: SyncFactoryOptions): SyncServiceFactory {
  return (director, sysctl) =>
    new SyncService({
      transport: o.transport,
      protocol: codecSyncProtocol((o.hooks ?? unwiredSyncHooks)(director)),
      sysctl,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
}
