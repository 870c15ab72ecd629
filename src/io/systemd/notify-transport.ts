/**
 * The way lvsd's readiness notes reach systemd: one datagram per message on the AF_UNIX socket
 * named by $NOTIFY_SOCKET (sd_notify(3)). node:dgram has no AF_UNIX datagram sockets and the name
 * may be abstract ('@'), so the native addon sends it (native/sd_notify.c); where the addon is
 * absent, `systemd-notify --pid=PID VAR=VALUE...` (systemd-notify(1)) sends it instead. Without
 * NOTIFY_SOCKET there is no transport at all and nothing is sent, as sd_notify() does nothing.
 */
import { spawn } from 'node:child_process';
import { loadPacketAddon } from '../packet-socket/addon.js';
import { errnoName } from '../packet-socket/errors.js';

/** Where notification messages go. */
export interface NotifyTransport {
  /** How it sends: `addon` (native/sd_notify.c) or `systemd-notify` (a child process). */
  readonly kind: 'addon' | 'systemd-notify';
  /** The socket name from NOTIFY_SOCKET. */
  readonly socket: string;
  /**
   * Sends one message (newline-separated VAR=VALUE lines). Resolves once sent; rejects with an
   * Error whose `code` is the errno name (addon) or ERR_SYSTEMD_NOTIFY_FAILED (child process).
   */
  send(message: string): Promise<void>;
}

/** The addon's function: bytes sent or -errno. */
type SdNotifyFn = NonNullable<ReturnType<typeof loadPacketAddon>['sdNotify']>;

/** Options of {@link openNotifyTransport}; tests replace the addon lookup and the spawn. */
export interface NotifyTransportOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** The addon's sdNotify, or undefined when it cannot load (the default looks it up). */
  readonly addon?: () => SdNotifyFn | undefined;
  /** The fallback program (default `systemd-notify` from PATH). */
  readonly systemdNotify?: string;
  readonly pid?: number;
}

function addonSdNotify(): SdNotifyFn | undefined {
  try {
    const f = loadPacketAddon().sdNotify;
    return typeof f === 'function' ? f : undefined;
  } catch {
    return undefined;
  }
}

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The transport for $NOTIFY_SOCKET, or undefined when it is unset or empty (not under systemd). */
export function openNotifyTransport(o: NotifyTransportOptions = {}): NotifyTransport | undefined {
  const socket = (o.env ?? process.env).NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return undefined;
  const fn = (o.addon ?? addonSdNotify)();
  if (fn) {
    return {
      kind: 'addon',
      socket,
      send(message) {
        const r = fn(socket, message);
        if (r >= 0) return Promise.resolve();
        const name = errnoName(r);
        return Promise.reject(coded(`sd_notify to ${socket}: ${name}`, name));
      },
    };
  }
  const program = o.systemdNotify ?? 'systemd-notify';
  const pid = o.pid ?? process.pid;
  return {
    kind: 'systemd-notify',
    socket,
    send(message) {
      // systemd-notify sends its VAR=VALUE arguments as one datagram; --pid names lvsd as the
      // sender (MAINPID=), since the datagram itself comes from the child.
      const args = [`--pid=${pid}`, ...message.split('\n').filter((l) => l !== '')];
      return new Promise((resolve, reject) => {
        const child = spawn(program, args, {
          stdio: 'ignore',
          env: { ...process.env, NOTIFY_SOCKET: socket },
        });
        child.once('error', (e) => reject(coded(`${program}: ${e.message}`, 'ERR_SYSTEMD_NOTIFY_FAILED')));
        child.once('exit', (code) =>
          code === 0
            ? resolve()
            : reject(coded(`${program} exited ${String(code)}`, 'ERR_SYSTEMD_NOTIFY_FAILED')),
        );
      });
    },
  };
}
