/** Starts test/io/vrrp-child.ts inside a namespace and parses its ready and result lines. */
import type { Netns } from '../helpers/netns.js';
import type { ChildConfig, ChildDatagram } from './vrrp-child.js';

/** The child's ready line. */
export interface ChildReady {
  ifindex: number[];
  sources: (string | undefined)[];
}

/** The child's result line. */
export interface ChildResult {
  heardAll: boolean;
  sent: { ch: number; vrid: number; src: string | undefined }[];
  received: ChildDatagram[];
  errors: string[];
}

/** A running child: `ready` once its sockets are open, `done` with what it received. */
export interface VrrpChild {
  ready: Promise<ChildReady>;
  done: Promise<ChildResult>;
}

/** Runs vrrp-child.ts in namespace `label`. */
export function startVrrpChild(ns: Netns, label: string, cfg: ChildConfig): VrrpChild {
  const argv = [process.execPath, '--import', 'tsx', 'test/io/vrrp-child.ts', JSON.stringify(cfg)];
  const c = ns.spawn(label, argv, { cwd: process.cwd() });
  let out = '';
  let err = '';
  let onReady: (r: ChildReady) => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<ChildReady>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  c.stdout!.on('data', (d) => {
    out += d;
    const first = out.split('\n')[0] ?? '';
    if (out.includes('\n') && first.includes('"ready"')) onReady(JSON.parse(first) as ChildReady);
  });
  c.stderr!.on('data', (d) => (err += d));
  const done = new Promise<ChildResult>((resolve, reject) => {
    c.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      const e = new Error(`vrrp child exited ${code}: ${out}${err}`);
      onFail(e);
      if (code !== 0 || !line.startsWith('{') || line.includes('"ready"')) reject(e);
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
  // A child that fails before its ready line rejects both; keep the unused one from going unhandled.
  done.catch(() => {});
  ready.catch(() => {});
  return { ready, done };
}
