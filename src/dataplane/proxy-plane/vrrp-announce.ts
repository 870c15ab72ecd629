/**
 * The proxy plane's VRRP announcements: a gratuitous ARP per IPv4 VIP and an unsolicited
 * neighbour advert per IPv6 VIP, from the MAC of the VIP's interface (keepalived without
 * `use_vmac` announces from the interface's own MAC: vrrp_arp.c send_gratuitous_arp,
 * vrrp_ndisc.c ndisc_send_unsolicited_na). The proxy plane has no packet engine, so each call
 * opens one small AF_PACKET socket per interface (the addon's PacketSocket, with the smallest
 * ring it allows), sends the frames built by the engine's writers (writeGratuitousArp,
 * writeUnsolicitedAdvert) and closes it: announcements are a few frames at state changes.
 * Where the addon has it, {@link keptSocketLink} sends them through one kept send-only socket
 * instead, since opening and closing a packet socket takes tens of milliseconds (RCU grace
 * periods), all spent on the event loop of a director that has just become MASTER.
 */
import { readFileSync } from 'node:fs';
import type { VrrpVip } from '../../control/ports.js';
import { UNSOLICITED_ADVERT_LEN, writeUnsolicitedAdvert } from '../../engine/ndp.js';
import { GARP_LEN, writeGratuitousArp } from '../../engine/output.js';
import { AnnounceSocket } from '../../io/packet-socket/announce-socket.js';
import { PacketSocket } from '../../io/packet-socket/index.js';
import { parseVip } from '../vrrp-vip.js';

/** How announcements reach an interface: a test seam over the AF_PACKET socket. */
export interface AnnounceLink {
  /** The interface's MAC (6 bytes). */
  mac(dev: string): Uint8Array;
  /** Sends `frames` on `dev`; returns how many went. */
  send(dev: string, frames: readonly Uint8Array[]): number;
}

/** The real link: the MAC from sysfs, frames through a one-shot AF_PACKET socket. */
export const packetSocketLink: AnnounceLink = {
  mac(dev) {
    const text = readFileSync(`/sys/class/net/${dev}/address`, 'utf8').trim();
    return Uint8Array.from(text.split(':'), (h) => Number.parseInt(h, 16));
  },
  send(dev, frames) {
    // 4 KiB × 1 block: the smallest ring PacketSocket accepts; nothing is ever read from it.
    const sock = new PacketSocket({ blockSize: 4096, blockCount: 1 }).bind(dev);
    try {
      return sock.send(frames);
    } finally {
      sock.close();
    }
  },
};

/** An {@link AnnounceLink} that can be closed (it holds a socket). */
export interface ClosableAnnounceLink extends AnnounceLink {
  close(): void;
}

/**
 * The link a plane keeps: one send-only socket opened on first use and kept until close()
 * (io/packet-socket/announce-socket.ts, as keepalived keeps its GARP socket), or the one-shot
 * {@link packetSocketLink} with an addon built before it.
 */
export function keptSocketLink(): ClosableAnnounceLink {
  if (!AnnounceSocket.available()) return { ...packetSocketLink, close() {} };
  const sock = new AnnounceSocket();
  return {
    mac: packetSocketLink.mac,
    send: (dev, frames) => sock.send(dev, frames),
    close: () => sock.close(),
  };
}

/** What one announcement did, per interface. */
export interface AnnounceResult {
  readonly dev: string;
  readonly sent: number;
  /** Why nothing could be sent on this interface (no such interface, no CAP_NET_RAW, ...). */
  readonly error?: unknown;
}

/** Sends one GARP or unsolicited NA per VIP on its `dev`; never throws (errors are reported per interface). */
export function announceVips(
  vips: readonly VrrpVip[],
  link: AnnounceLink = packetSocketLink,
): AnnounceResult[] {
  const byDev = new Map<string, VrrpVip[]>();
  for (const v of vips) {
    const list = byDev.get(v.dev);
    if (list) list.push(v);
    else byDev.set(v.dev, [v]);
  }
  const results: AnnounceResult[] = [];
  for (const [dev, list] of byDev) {
    try {
      const mac = link.mac(dev);
      const frames: Uint8Array[] = [];
      for (const v of list) {
        const p = parseVip(v);
        if (p === undefined) continue;
        if (p.af === 4) {
          const f = new Uint8Array(GARP_LEN);
          writeGratuitousArp(f, 0, mac, 0, p.v4);
          frames.push(f);
        } else {
          const f = new Uint8Array(UNSOLICITED_ADVERT_LEN);
          writeUnsolicitedAdvert(f, 0, mac, 0, p.v6, 0);
          frames.push(f);
        }
      }
      results.push({ dev, sent: frames.length === 0 ? 0 : link.send(dev, frames) });
    } catch (error) {
      results.push({ dev, sent: 0, error });
    }
  }
  return results;
}
