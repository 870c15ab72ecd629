/**
 * A real sd_notify receiver for tests: python3 binds an AF_UNIX datagram socket (a path, or an
 * abstract '@' name, as systemd's NOTIFY_SOCKET may be) and prints every datagram as one JSON
 * line, so lvsd's messages are checked as systemd would receive them.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const SCRIPT = `
import json, socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + name[1:]) if name.startswith('@') else name)
print('bound', flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

/** A bound receiver. */
export interface NotifyReceiver {
  /** The NOTIFY_SOCKET value. */
  readonly name: string;
  /** Every datagram so far. */
  readonly messages: string[];
  /** Resolves with the first message (from index `from`) that `pred` accepts, or rejects after `ms`. */
  waitFor(pred: (m: string) => boolean, ms?: number, from?: number): Promise<string>;
  close(): void;
}

/** Binds `name` and resolves once the socket exists. */
export function startNotifyReceiver(name: string): Promise<NotifyReceiver> {
  const proc: ChildProcess = spawn('python3', ['-c', SCRIPT, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code: number | null) => reject(new Error(`notify receiver exited ${code}: ${err}`));
    proc.once('exit', onEarlyExit);
    proc.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (line === 'bound') {
          proc.off('exit', onEarlyExit);
          resolve(receiver);
          continue;
        }
        messages.push(JSON.parse(line) as string);
        for (const w of waiters) w();
      }
    });
    const receiver: NotifyReceiver = {
      name,
      messages,
      waitFor(pred, ms = 15_000, from = 0) {
        return new Promise((res, rej) => {
          const check = () => {
            const m = messages.slice(from).find(pred);
            if (m === undefined) return;
            waiters.delete(check);
            clearTimeout(timer);
            res(m);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`no notify message matched within ${ms} ms; got ${JSON.stringify(messages)}`));
          }, ms);
          waiters.add(check);
          check();
        });
      },
      close() {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      },
    };
  });
}
