/** In-memory {@link NotifyTransport} for tests: records every message, fails on demand. */
import type { NotifyTransport } from './notify-transport.js';

/** A NotifyTransport that keeps what it was given. */
export class FakeNotifyTransport implements NotifyTransport {
  readonly kind = 'addon';
  /** Every message sent, in order. */
  readonly messages: string[] = [];
  /** When set, send() rejects with this errno name instead of recording. */
  failWith: string | undefined;

  constructor(readonly socket = '@fake-notify') {}

  /** Records `message`, or rejects as a refused datagram would. */
  send(message: string): Promise<void> {
    if (this.failWith !== undefined)
      return Promise.reject(Object.assign(new Error(`sd_notify: ${this.failWith}`), { code: this.failWith }));
    this.messages.push(message);
    return Promise.resolve();
  }
}
