/** Test helpers: small normalised models (config/model.ts) for health-monitor scenarios. */
import type {
  CheckerConfig,
  CheckerTiming,
  LvsModel,
  RealServer,
  ScriptSpec,
  VirtualService,
} from '../../src/config/model.js';
import { DEFAULT_GLOBALS, EMPTY_VRRP } from '../../src/config/model.js';
import { FWD, PROTO, type ServiceKey } from '../../src/core/types.js';

/** keepalived TCP_CHECK defaults with 1 s loop for readable scenarios. */
export const TIMING: CheckerTiming = {
  connectTimeout: 1000,
  retry: 1,
  delayBeforeRetry: 500,
  delayLoop: 2000,
  warmup: 0,
  alpha: false,
  logAllFailures: false,
  immediateFirstDown: true,
};

/** A TCP checker on addr:port with timing overrides. */
export function tcpCheck(addr: string, port: number, over: Partial<CheckerConfig> = {}): CheckerConfig {
  return {
    type: 'tcp',
    connectIp: addr,
    connectPort: port,
    ...TIMING,
    file: 't',
    line: 1,
    ...over,
  } as CheckerConfig;
}

/** A script spec. */
export function script(command: string): ScriptSpec {
  return { command, argv: command.split(' ') };
}

/** A real server with one TCP checker unless `checkers` is given. */
export function real(
  addr: string,
  over: Partial<RealServer> & { port?: number; weight?: number } = {},
): RealServer {
  const port = over.port ?? 80;
  return {
    dest: {
      addr,
      port,
      af: 4,
      fwd: FWD.MASQ,
      weight: over.weight ?? 1,
      uThreshold: 0,
      lThreshold: 0,
      tunType: 0,
      tunPort: 0,
      tunFlags: 0,
    },
    checkers: [tcpCheck(addr, port)],
    inhibitOnFailure: false,
    alpha: false,
    smtpAlert: false,
    file: 't',
    line: 1,
    ...over,
  };
}

/** The TCP service key 192.0.2.1:port. */
export function vip(port = 80): ServiceKey {
  return { kind: 'addr', af: 4, protocol: PROTO.TCP, addr: '192.0.2.1', port };
}

/** A virtual service on 192.0.2.1:80 with the given real servers. */
export function service(reals: RealServer[], over: Partial<VirtualService> = {}): VirtualService {
  const keys = over.keys ?? [vip()];
  return {
    id: `TCP ${(keys[0] as { addr?: string }).addr ?? 'fwm'}:${(keys[0] as { port?: number }).port ?? 0}`,
    keys,
    config: { scheduler: 'wlc', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
    reals,
    quorum: 1,
    hysteresis: 0,
    omega: false,
    haSuspend: false,
    checksOff: false,
    file: 't',
    line: 1,
    ...over,
  };
}

/** A keepalived-sourced model with these services. */
export function model(services: VirtualService[], source: LvsModel['source'] = 'keepalived'): LvsModel {
  return { source, globals: DEFAULT_GLOBALS, services, vrrp: EMPTY_VRRP };
}
