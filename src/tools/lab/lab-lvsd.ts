/**
 * The lab's director process: lvsd with the packet data plane, started through the same
 * startDaemon/restore path as `lvsd --dataplane packet --interface IF --restore FILE`, but
 * without depending on programs/lvsd/main.ts's argument handling so the lab runs whatever
 * lvsd's CLI looks like. Args: --socket PATH --restore FILE --interface IF [--interface IF...]
 * [--ingress-bypass] [--xdp auto|on|off] [--xdp-offload auto|on|off].
 */
import { parseArgs } from 'node:util';
import { startDaemon } from '../../daemon/daemon.js';
import { createLogger } from '../../daemon/logger.js';
import { applyRules, readRules } from '../../daemon/restore.js';
import { startPacketDataPlane } from '../../dataplane/packet-plane/index.js';

/** Runs the lab director until SIGTERM. */
export async function runLabLvsd(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      socket: { type: 'string' },
      restore: { type: 'string' },
      interface: { type: 'string', multiple: true },
      'ingress-bypass': { type: 'boolean' },
      xdp: { type: 'string' },
      'xdp-offload': { type: 'string' },
    },
  });
  const log = createLogger('info', 'json');
  const rules = values.restore ? readRules(values.restore) : [];
  const d = await startDaemon({
    socket: values.socket ?? '/run/lvs-ts/lab/lvsd.sock',
    connTabBits: 16,
    tickMs: 250,
    logger: log,
    initial: (port, now) => {
      for (const f of applyRules(port, rules, now)) log.warn({ rule: f.command }, f.message);
    },
    dataplane: (port) =>
      startPacketDataPlane(port, {
        interfaces: values.interface ?? [],
        log,
        ingressBypass: values['ingress-bypass'] === true,
        // As lvsd's CLI: auto unless told otherwise.
        xdp: values.xdp === 'on' || values.xdp === 'off' ? values.xdp : 'auto',
        // As lvsd's CLI: auto unless told otherwise, off with --xdp off.
        xdpOffload:
          values['xdp-offload'] === 'on' || values['xdp-offload'] === 'off'
            ? values['xdp-offload']
            : values.xdp === 'off'
              ? 'off'
              : 'auto',
      }),
  });
  log.info({ socket: d.socket }, 'lab lvsd ready');
  const stop = (): void => {
    void d.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
