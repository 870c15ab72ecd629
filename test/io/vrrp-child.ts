/**
 * Child process of the VRRP socket tests, run inside a namespace with
 * `ip netns exec NS node --import tsx test/io/vrrp-child.ts '<json>'` (sockets live in the
 * namespace of the process that opens them). It opens one real VrrpSocket per configured
 * endpoint, prints a `ready` line (ifindex and sourceFor answers), waits (for adverts of
 * `waitVrids`, or `sendAfterMs`), sends every channel's adverts (built with the checksum for the
 * channel's own source), listens `lingerMs` more, and prints one result line with everything
 * each channel received.
 */

import { VrrpSocketTransport } from '../../src/io/vrrp/vrrp-socket.js';
import { buildVrrpAdvert } from '../../src/vrrp/vrrp-packet.js';
import { type VrrpEndpoint, vrrpGroup } from '../../src/vrrp/vrrp-transport.js';

/** One advert to send. */
export interface ChildSend {
  dst: string;
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Seconds (v2) or centiseconds (v3). */
  interval: number;
  addrs: string[];
  /** v2 PASS password (auth type 1); none when absent. */
  pass?: string;
  /** Send with the checksum field zeroed (IPv6: the kernel must fill it in). */
  zeroChecksum?: boolean;
}

/** What the child does. */
export interface ChildConfig {
  channels: { ep: VrrpEndpoint; sends?: ChildSend[] }[];
  /** Send once an advert of each of these VRIDs arrived (on any channel), or at `timeoutMs`. */
  waitVrids?: number[];
  sendAfterMs?: number;
  /** Times every send is repeated, `repeatMs` apart (default once). */
  repeat?: number;
  repeatMs?: number;
  lingerMs: number;
  timeoutMs?: number;
}

/** One received datagram as the child reports it. */
export interface ChildDatagram {
  ch: number;
  src: string;
  dst: string;
  ttl: number;
  ifindex: number;
  ipHeaderLen: number;
  hex: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const transport = new VrrpSocketTransport();
  const received: ChildDatagram[] = [];
  const errors: string[] = [];
  const heard = new Set<number>();
  let wake: () => void = () => {};
  const channels = cfg.channels.map(({ ep }, ch) =>
    transport.open(
      ep,
      (d) => {
        const vrid = d.data[d.ipHeaderLen + 1] ?? -1;
        heard.add(vrid);
        received.push({
          ch,
          src: d.src,
          dst: d.dst,
          ttl: d.ttl,
          ifindex: d.ifindex,
          ipHeaderLen: d.ipHeaderLen,
          hex: Buffer.from(d.data).toString('hex'),
        });
        wake();
      },
      (e) => errors.push(`${(e as { code?: string }).code}: ${e.message}`),
    ),
  );
  say({
    ready: true,
    ifindex: channels.map((c) => c.ifindex),
    sources: channels.map((c, i) => c.sourceFor(vrrpGroup(cfg.channels[i]!.ep.af))),
  });
  const want = cfg.waitVrids ?? [];
  if (want.length > 0) {
    const deadline = Date.now() + (cfg.timeoutMs ?? 10_000);
    while (!want.every((v) => heard.has(v)) && Date.now() < deadline)
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(100)]);
  } else {
    await sleep(cfg.sendAfterMs ?? 0);
  }
  const sent: { ch: number; vrid: number; src: string | undefined }[] = [];
  for (let n = 0; n < (cfg.repeat ?? 1); n++) {
    if (n > 0) await sleep(cfg.repeatMs ?? 200);
    cfg.channels.forEach(({ ep, sends }, ch) => {
      for (const s of sends ?? []) {
        const src = channels[ch]!.sourceFor(s.dst);
        const auth = new Uint8Array(8);
        if (s.pass) auth.set(Buffer.from(s.pass));
        const bytes = buildVrrpAdvert(
          {
            version: s.version,
            type: 1,
            vrid: s.vrid,
            priority: s.priority,
            interval: s.interval,
            addrs: s.addrs,
            authType: s.version === 2 && s.pass ? 1 : 0,
            authData: s.version === 2 ? auth : new Uint8Array(0),
          },
          { af: ep.af, src: src ?? (ep.af === 4 ? '0.0.0.0' : '::'), dst: s.dst },
        );
        if (s.zeroChecksum) bytes.fill(0, 6, 8);
        channels[ch]!.send(bytes, s.dst);
        if (n === 0) sent.push({ ch, vrid: s.vrid, src });
      }
    });
  }
  await sleep(cfg.lingerMs);
  for (const c of channels) c.close();
  say({ heardAll: want.every((v) => heard.has(v)), sent, received, errors });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    say({ error: (e as { code?: string }).code, message: (e as Error).message });
    process.exit(1);
  },
);
