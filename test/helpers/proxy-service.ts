/** Test helper for the proxy-plane e2e tests: a TCP service on a fresh loopback port, synced to the plane. */
import type { ServiceConfig } from '../../src/core/types.js';
import { dest, freePort, type Rig, svcConfig, tcpKey } from '../proxy/helpers.js';

/**
 * Adds a `sched` service on a free 127.0.0.1 port with masq dests added in the given order (the
 * kernel's list is then reversed), syncs the data plane, and resolves with the port.
 */
export async function addProxyService(
  r: Rig,
  sched: string,
  dests: readonly (readonly [port: number, weight: number])[],
  extra: Partial<ServiceConfig> = {},
): Promise<number> {
  const port = await freePort();
  r.table.addService(tcpKey(port), svcConfig(sched, extra));
  for (const [p, w] of dests) r.table.addDest(tcpKey(port), dest(p, w));
  r.plane.sync();
  return port;
}
