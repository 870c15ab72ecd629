/** Helpers of the VRRP socket tests: waiting out IPv6 DAD and running src/vrrp's receive checks. */
import { checkAdvert, type VrrpRxConfig, type VrrpRxResult } from '../../src/vrrp/vrrp-receive.js';
import type { Netns } from '../helpers/netns.js';
import type { ChildDatagram, ChildSend } from './vrrp-child.js';

/** Waits until duplicate address detection is over on `ifname` (the link-local is then usable). */
export async function waitDad(ns: Netns, label: string, ifname: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (ns.ip(label, '-6', 'addr', 'show', 'dev', ifname, 'tentative').trim() === '') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DAD never finished on ${ifname} in ${label}`);
}

/** The receive-check configuration of an instance that expects `s`. */
export function rxConfig(s: ChildSend, af: 4 | 6, unicast: string[] = []): VrrpRxConfig {
  const auth = new Uint8Array(8);
  if (s.pass) auth.set(Buffer.from(s.pass));
  return {
    vrid: s.vrid,
    version: s.version,
    af,
    authType: s.version === 2 && s.pass ? 1 : 0,
    authData: auth,
    interval: s.interval,
    vips: s.addrs,
    unicast: unicast.length > 0,
    unicastPeers: unicast.map((addr) => ({ addr })),
    checkUnicastSrc: unicast.length > 0,
    v3ChecksumAsV2: false,
    ownerIgnoreAdverts: false,
    mcastGroup4: '224.0.0.18',
    oldUnicastChecksum: true,
  };
}

/** Runs the receive checks of src/vrrp over one received datagram. */
export function check(d: ChildDatagram, cfg: VrrpRxConfig): VrrpRxResult {
  const data = Buffer.from(d.hex, 'hex');
  const facts = {
    src: d.src,
    dst: d.dst,
    ttl: d.ttl,
    ipHeaderLen: d.ipHeaderLen,
    effectivePriority: 100,
    checkVips: true,
  };
  return checkAdvert(facts, data, d.ipHeaderLen, data.length - d.ipHeaderLen, cfg);
}
