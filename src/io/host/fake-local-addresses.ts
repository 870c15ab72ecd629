/** The in-memory LocalAddresses of tests (local-addresses.ts): addresses come and go by hand. */
import { type LocalAddresses, type LocalAddressSet, localAddressSet } from './local-addresses.js';

/** An in-memory stand-in: tests add and remove addresses. */
export class FakeLocalAddresses implements LocalAddresses {
  readonly addrs = new Set<string>();
  constructor(addrs: Iterable<string> = []) {
    for (const a of addrs) this.addrs.add(a);
  }
  snapshot(): LocalAddressSet {
    return localAddressSet(this.addrs);
  }
}
