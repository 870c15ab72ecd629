/**
 * The quick start behind `npm start`: three demo HTTP real servers on loopback, each answering
 * with its own name, and the commands for a round-robin service on 127.0.0.1:8080 over them.
 * lvsd applies the commands like restored rules, so the demo is an ordinary table that lvsadm
 * can list, edit and clear; the banner says what to try.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from '../control/commands.js';
import type { VipStatus } from '../control/protocol.js';
import type { ServiceKey } from '../core/types.js';
import { commandForm } from '../io/command-form.js';

/** The demo's virtual service address. */
export const DEMO_VIP = '127.0.0.1';
/** The demo's virtual service port. */
export const DEMO_PORT = 8080;

/** A running demo: its real servers, the commands that build its table, and the banner. */
export interface Demo {
  readonly servers: readonly { readonly name: string; readonly port: number }[];
  /** Commands to apply at start: one rr service and three masq destinations. */
  readonly commands: readonly Command[];
  /**
   * What to try, for the terminal. `served` is the data plane's word on the demo service; when it
   * is not served (8080 taken), the banner says so instead of advertising the address.
   */
  banner(socketPath?: string, served?: VipStatus): string;
  /** Stops the real servers. */
  close(): Promise<void>;
}

/** Options of the demo. */
export interface DemoOptions {
  vip?: string;
  port?: number;
  /** Ports for the three real servers; 0 (the default) picks free ones. */
  serverPorts?: readonly [number, number, number];
  /** How the banner tells the user to run lvsadm; default io/command-form.ts's answer. */
  lvsadm?: string;
}

/** Starts the three demo real servers and returns the demo. */
export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const vip = o.vip ?? DEMO_VIP;
  const vport = o.port ?? DEMO_PORT;
  const names = ['web1', 'web2', 'web3'];
  const servers: http.Server[] = [];
  const info: { name: string; port: number }[] = [];
  try {
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const srv = http.createServer((req, res) => {
        const body = `Hello from ${name} (real server 127.0.0.1:${info[i]?.port ?? 0}), you asked for ${req.url}\n`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(o.serverPorts?.[i] ?? 0, '127.0.0.1', () => resolve());
      });
      info.push({ name, port: (srv.address() as AddressInfo).port });
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  const service: ServiceKey = { kind: 'addr', af: 4, protocol: 6, addr: vip, port: vport };
  const commands: Command[] = [
    {
      op: 'add-service',
      service,
      config: { scheduler: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' },
    },
    ...info.map(
      (s): Command => ({
        op: 'add-dest',
        service,
        dest: {
          addr: '127.0.0.1',
          port: s.port,
          af: 4,
          fwd: 0,
          weight: 1,
          uThreshold: 0,
          lThreshold: 0,
          tunType: 0,
          tunPort: 0,
          tunFlags: 0,
        },
      }),
    ),
  ];
  return {
    servers: info,
    commands,
    banner: (socketPath, served) =>
      demoBanner(vip, vport, info, socketPath, o.lvsadm ?? commandForm('lvsadm', undefined, true), served),
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}

/**
 * The what-to-try text printed when the demo starts; `lvsadm` is how this shell runs lvsadm
 * (bare after `npm link`, else `node /path/to/bin/lvsadm`, absolute because "another terminal"
 * may be anywhere; never `npx`, which takes over a second a call).
 */
export function demoBanner(
  vip: string,
  port: number,
  servers: readonly { name: string; port: number }[],
  socketPath?: string,
  lvsadm = 'lvsadm',
  served?: VipStatus,
): string {
  const env = socketPath ? `LVSD_SOCKET=${socketPath} ` : '';
  const cmd = `${env}${lvsadm}`;
  const reals = servers.map((s) => `${s.name} on 127.0.0.1:${s.port}`).join(', ');
  const down = served !== undefined && !served.serving;
  return [
    '',
    `LVS.ts quick start: virtual service TCP ${vip}:${port} (rr) over three real servers:`,
    `  ${reals}`,
    ...(down ? notServedLines(vip, port, served.reason) : []),
    '',
    down ? 'Try, in another terminal, once it is served:' : 'Try, in another terminal:',
    `  for i in 1 2 3 4 5 6; do curl -s http://${vip}:${port}/; done   # rr: web3 web2 web1 ...`,
    `  ${cmd} -Ln              # the table, as ipvsadm shows it`,
    `  ${cmd} -Ln --stats      # connections, packets and bytes`,
    `  ${cmd} -Lnc             # the connection table`,
    `  ${cmd} -e -t ${vip}:${port} -r 127.0.0.1:${servers[0]?.port ?? 0} -m -w 0   # drain web1`,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

/**
 * The banner's warning when the demo's address is not served: the proxy plane keeps the service
 * in the table and retries the listen every 2 s (proxy-data-plane.ts), as it does for any service
 * whose port is busy, so the banner says that rather than advertise a curl that would fail.
 */
function notServedLines(vip: string, port: number, reason: string | undefined): string[] {
  const why =
    reason === 'EADDRINUSE'
      ? `port ${port} is busy (EADDRINUSE: another program listens there)`
      : (reason ?? 'not yet');
  return [
    '',
    `NOT SERVED: ${vip}:${port}: ${why}.`,
    `lvsd retries every 2 s and logs "serving virtual service" once it can listen; until then`,
    `curl http://${vip}:${port}/ reaches the other program, or nothing. Free the port to use the demo.`,
  ];
}

/**
 * The plane's status of `service`, waiting up to `ms` while it is still being opened (the listen
 * is asynchronous), so the banner reports a result rather than "opening".
 */
export async function demoServeState(
  status: () => readonly VipStatus[],
  service: string,
  ms = 1000,
): Promise<VipStatus | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = status().find((v) => v.service === service);
    const pending =
      s !== undefined &&
      !s.serving &&
      (s.reason === undefined || s.reason === 'opening' || s.reason === 'not opened yet');
    if (!pending || Date.now() >= deadline) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}
