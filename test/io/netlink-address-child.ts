/**
 * Runs inside a test namespace for netlink-address.test.ts (rtnetlink acts on the caller's
 * namespace): performs the steps of argv[2] (JSON) in order and prints one JSON array of their
 * results. Steps: `nl` one raw request; `link` one add/del through netlinkAddressLink; `own` one
 * VrrpAddresses.own() on a single instance kept across steps, with the interface's addresses as
 * `ip` lists them right after own() returned (before awaiting it).
 */
import { spawnSync } from 'node:child_process';
import type { VrrpVip } from '../../src/control/ports.js';
import { netlinkAddressLink } from '../../src/dataplane/proxy-plane/vrrp-address-link.js';
import { VrrpAddresses } from '../../src/dataplane/proxy-plane/vrrp-addresses.js';
import { type NetlinkAddressRequest, netlinkAddress } from '../../src/io/netlink/netlink-address.js';

type Step =
  | { nl: NetlinkAddressRequest }
  | { link: 'add' | 'del'; vip: VrrpVip }
  | { own: { name: string; vips: VrrpVip[]; master: boolean; dev: string } };

const steps = JSON.parse(process.argv[2] ?? '[]') as Step[];
const addrs = new VrrpAddresses(netlinkAddressLink);
const out: unknown[] = [];
for (const s of steps) {
  if ('nl' in s) out.push(netlinkAddress(s.nl));
  else if ('link' in s)
    out.push(s.link === 'add' ? netlinkAddressLink.add(s.vip) : netlinkAddressLink.del(s.vip));
  else {
    const p = addrs.own(s.own.name, s.own.vips, s.own.master);
    const shown = spawnSync('ip', ['-j', 'addr', 'show', 'dev', s.own.dev], { encoding: 'utf8' }).stdout;
    let error: string | undefined;
    await p.catch((e: unknown) => {
      error = e instanceof Error ? e.message : String(e);
    });
    const locals = (JSON.parse(shown) as { addr_info: { local: string }[] }[])[0]?.addr_info.map(
      (a) => a.local,
    );
    out.push({ locals, error });
  }
}
process.stdout.write(JSON.stringify(out));
