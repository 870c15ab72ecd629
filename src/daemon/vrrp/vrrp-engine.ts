/** The real VRRP engine of `lvsd --config`: a VrrpRunner on the given transport, logging to lvsd's logger. */
import type { Logger } from 'pino';
import type { VmacLinks } from '../../io/vrrp/vmac-links.js';
import type { VrrpTransport } from '../../vrrp/vrrp-transport.js';
import type { VrrpEngineFactory } from '../reload.js';
import { systemVrrpHost, type VrrpHost, type VrrpScripts } from './vrrp-host.js';
import { VrrpRunner } from './vrrp-runner.js';

/** What the engine needs from the process: the advert sockets, and optionally host and script fakes. */
export interface VrrpEngineDeps {
  readonly transport: VrrpTransport;
  readonly host?: VrrpHost;
  readonly scripts?: VrrpScripts;
  readonly log: Logger;
  /** Makes use_vmac's macvlans; absent, such instances stay in FAULT. */
  readonly vmac?: VmacLinks;
}

/** Builds each configuration's VrrpRunner on the real clock. */
export function vrrpRunnerEngine(deps: VrrpEngineDeps): VrrpEngineFactory {
  const host = deps.host ?? systemVrrpHost();
  return (model) =>
    new VrrpRunner({
      model,
      transport: deps.transport,
      host,
      ...(deps.scripts ? { scripts: deps.scripts } : {}),
      ...(deps.vmac ? { vmac: deps.vmac } : {}),
      log: (level, msg, fields) => deps.log[level](fields ?? {}, msg),
    });
}
