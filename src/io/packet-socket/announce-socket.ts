/**
 * A kept, send-only AF_PACKET socket for a few announcement frames at a time (the proxy plane's
 * gratuitous ARPs and unsolicited neighbour adverts; native/announce_socket.c). Unlike a
 * {@link PacketSocket} it has no ring and no receive hook, and it is opened once: closing a packet
 * socket waits for an RCU grace period (af_packet.c packet_release() synchronize_net()), which
 * would block the event loop of a new MASTER for tens of milliseconds at every announcement.
 */
import { closeSync } from 'node:fs';
import { loadPacketAddon } from './addon.js';
import { PacketSystemError } from './errors.js';

/** One send-only packet socket, opened on first use and kept until {@link AnnounceSocket.close}. */
export class AnnounceSocket {
  #fd = -1;

  /** Whether this build of the addon has the send-only socket (else use a one-shot PacketSocket). */
  static available(): boolean {
    try {
      const b = loadPacketAddon();
      return typeof b.announceOpen === 'function' && typeof b.announceSend === 'function';
    } catch {
      return false;
    }
  }

  /** Sends `frames` (whole Ethernet frames) on `dev`; returns how many went, throws PacketSystemError when none could. */
  send(dev: string, frames: readonly Uint8Array[]): number {
    const b = loadPacketAddon();
    if (!b.announceOpen || !b.announceSend) throw new Error('announceSend: not in this build of the addon');
    if (this.#fd < 0) {
      const fd = b.announceOpen();
      if (fd < 0) throw new PacketSystemError(fd, 'socket', dev);
      this.#fd = fd;
    }
    const r = b.announceSend(this.#fd, dev, frames);
    if (r < 0) throw new PacketSystemError(r, 'sendto', dev);
    return r;
  }

  /** Closes the socket (slow: see the file comment; at shutdown only). */
  close(): void {
    if (this.#fd < 0) return;
    try {
      closeSync(this.#fd);
    } catch {
      /* already closed */
    }
    this.#fd = -1;
  }
}
