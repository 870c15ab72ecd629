/**
 * Runs inside a test namespace for link-addresses.test.ts (rtnetlink and `ip` answer for the
 * caller's namespace): prints one JSON object with what each source says about argv[2..].
 */

import { linkExists, readLinkAddresses } from '../../src/io/netlink/link-addresses.js';
import { interfaceSource, readInterfaceAddrs } from '../../src/io/vrrp/interface-source.js';

const out: Record<string, unknown> = {};
for (const dev of process.argv.slice(2)) {
  out[dev] = {
    netlink: readLinkAddresses(dev, ['netlink']) ?? null,
    iproute2: readLinkAddresses(dev, ['iproute2']) ?? null,
    getifaddrs: readLinkAddresses(dev, ['getifaddrs']) ?? null,
    exists: linkExists(dev),
    source4: interfaceSource(readInterfaceAddrs(dev), 4, '224.0.0.81') ?? null,
  };
}
process.stdout.write(JSON.stringify(out));
