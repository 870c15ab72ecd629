/**
 * Every check keepalived makes on a received advert, in its order (keepalived/vrrp/vrrp_scheduler.c
 * vrrp_dispatcher_read() for the header and VRID, then keepalived/vrrp/vrrp.c vrrp_check_packet()
 * as of v2.2.7, the Debian peer we interoperate with), each failure reported as a stable reason
 * code the caller counts. The RFC list is RFC 3768 §7.1 and RFC 5798 §7.1; keepalived runs the
 * length check before TTL and version, the v2 interval before the packet type, and the address
 * count before the checksum. The IPv4 total-length check is the caller's: `len` comes from it.
 */
import { type Af, ipBytes } from '../core/addr.js';
import { AH_RX, type AhRxReason } from './vrrp-ah.js';
import {
  decodeVrrp,
  VRRP_AUTH,
  VRRP_AUTH_LEN,
  VRRP_HEADER_LEN,
  VRRP_TYPE_ADVERT,
  type VrrpAdvert,
  verifyVrrpChecksum,
  vrrpLength,
} from './vrrp-packet.js';

/** Why an advert was discarded; one counter per code. */
export const VRRP_RX = {
  /** Shorter than the 8-byte header (vrrp_scheduler.c vrrp_get_header()). */
  TRUNCATED: 'VRRP_RX_TRUNCATED',
  /** No instance with this VRID on the socket ("Unknown VRID"). */
  UNKNOWN_VRID: 'VRRP_RX_UNKNOWN_VRID',
  /** Length disagrees with the address count, beyond Ethernet padding ("vrrp packet too short"). */
  LENGTH: 'VRRP_RX_LENGTH',
  /** Multicast advert whose TTL / hop limit is not 255 ("invalid TTL/HL"). */
  TTL: 'VRRP_RX_TTL',
  /** Version nibble differs from the instance's ("wrong VRRP version"). */
  VERSION: 'VRRP_RX_VERSION',
  /** v2 auth type keepalived does not know at all ("Invalid auth type"). */
  AUTH_INVALID_TYPE: 'VRRP_RX_AUTH_INVALID_TYPE',
  /** v2 auth type differs from the configured one ("received a %d auth, expecting %d!"). */
  AUTH_TYPE_MISMATCH: 'VRRP_RX_AUTH_TYPE_MISMATCH',
  /** v2 PASS password differs ("received an invalid passwd!"). */
  AUTH_FAILURE: 'VRRP_RX_AUTH_FAILURE',
  /** v2 Adver Int differs from ours ("advertisement interval mismatch"); RFC 3768 §7.1 MUST. */
  INTERVAL: 'VRRP_RX_INTERVAL',
  /** Type other than ADVERTISEMENT ("Invalid packet type"). */
  TYPE: 'VRRP_RX_TYPE',
  /** Checksum does not verify ("Invalid VRRPv2/VRRPv3 checksum"). */
  CHECKSUM: 'VRRP_RX_CHECKSUM',
  /** Multicast advert to a unicast instance or the reverse ("Expected unicast packet..."). */
  UNICAST_MULTICAST: 'VRRP_RX_UNICAST_MULTICAST',
  /** Address count differs from our VIP count ("received an unexpected ip number count"). */
  ADDR_COUNT: 'VRRP_RX_ADDR_COUNT',
  /** A configured VIP is missing ("ip address associated with VRID %d not present in MASTER advert"). */
  VIP_MISSING: 'VRRP_RX_VIP_MISSING',
  /** `owner_ignore_adverts` (keepalived ≥ 2.3.3) and we are the address owner (RFC 5798 §7.1 item 5). */
  OWNER_IGNORE: 'VRRP_RX_OWNER_IGNORE',
  /** `check_unicast_src`: source is not a unicast_peer ("not a unicast peer"). */
  UNICAST_SRC: 'VRRP_RX_UNICAST_SRC',
  /** `check_unicast_src`: the peer's TTL is outside its min_ttl..max_ttl. */
  UNICAST_TTL: 'VRRP_RX_UNICAST_TTL',
  /** AH: the AH header protects another protocol (keepalived drops it silently). */
  AH_NEXT_HEADER: AH_RX.NEXT_HEADER,
  /** AH: the HMAC-MD5-96 ICV does not verify (wrong password, or a field changed). */
  AH_ICV: AH_RX.ICV,
  /** AH: the SPI is not the sender's address. */
  AH_SPI: AH_RX.SPI,
  /** AH: the sequence number is not above the instance's counter (replay). */
  AH_REPLAY: AH_RX.REPLAY,
} as const;

/** A code of {@link VRRP_RX}. */
export type VrrpRxReason = (typeof VRRP_RX)[keyof typeof VRRP_RX];

/**
 * Findings logged but not fatal: a v3 interval differing from ours (RFC 5798 §7.1 SHOULD check; the
 * backup adopts the master's, and keepalived ≥ 2.3 logs "advertisement interval mismatch").
 * keepalived after 2.2.7 also only counts a VIP list mismatch; 2.2.7, our peer, drops the advert.
 */
export const VRRP_RX_NOTE = {
  INTERVAL_V3: 'VRRP_RX_INTERVAL_V3',
  /**
   * A v3 IPv4 unicast advert whose checksum used the multicast group as destination, as keepalived
   * < 1.3.6 did; keepalived then sends that way too ("Setting unicast VRRPv3 checksum to old version").
   */
  OLD_UNICAST_CHECKSUM: 'VRRP_RX_OLD_UNICAST_CHECKSUM',
} as const;

/** A code of {@link VRRP_RX_NOTE}. */
export type VrrpRxNote = (typeof VRRP_RX_NOTE)[keyof typeof VRRP_RX_NOTE];

/** A unicast peer, with the optional TTL window that `check_unicast_src` enforces. */
export interface VrrpPeer {
  readonly addr: string;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

/** What the receive checks need to know about the instance. */
export interface VrrpRxConfig {
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly af: Af;
  /** v2 auth type (0 none, 1 PASS, 2 AH); always 0 for v3. */
  readonly authType: number;
  /** v2 PASS data, 8 bytes zero-padded. */
  readonly authData: Uint8Array;
  /** v2 AH: the HMAC-MD5 key, the password zero-padded to 8 bytes (vrrp-ah.ts ahKey()). */
  readonly ahKey?: Uint8Array;
  /** Our interval in the packet's unit: seconds for v2, centiseconds for v3. */
  readonly interval: number;
  /** Configured VIPs in canonical text. */
  readonly vips: readonly string[];
  /** `unicast_peer` configured: adverts must be unicast and no TTL check applies. */
  readonly unicast: boolean;
  readonly unicastPeers: readonly VrrpPeer[];
  /** `check_unicast_src` (per instance or the global `vrrp_check_unicast_src`). */
  readonly checkUnicastSrc: boolean;
  /** `v3_checksum_as_v2`: IPv4 v3 checksum without pseudo-header. */
  readonly v3ChecksumAsV2: boolean;
  /** `owner_ignore_adverts`: an owner discards adverts as RFC 5798 §7.1 says. */
  readonly ownerIgnoreAdverts: boolean;
  /** The IPv4 multicast group (vrrp_mcast_group4), for the old unicast checksum. */
  readonly mcastGroup4: string;
  /** Accept the old unicast v3 checksum (keepalived's default unless `old_unicast_checksum never`). */
  readonly oldUnicastChecksum: boolean;
}

/** The IP-level facts of one received advert, and the instance state the checks depend on. */
export interface VrrpRxFacts {
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit, -1 when the socket did not report it. */
  readonly ttl: number;
  /** Bytes of IP header in front of the VRRP bytes as received (20 for IPv4 raw, 0 for IPv6). */
  readonly ipHeaderLen: number;
  /** The instance's effective priority now (for `owner_ignore_adverts`). */
  readonly effectivePriority: number;
  /**
   * Compare the address list and check the unicast source: always as master, and as backup unless
   * `skip_check_adv_addr` and the advert comes from the current master (vrrp.c vrrp_state_backup()).
   */
  readonly checkVips: boolean;
  /**
   * The AH checks of an auth type 2 instance (src/vrrp/vrrp-ah.ts checkAh()), run where keepalived
   * runs them: after the auth type comparison, before the interval. `ipHeaderLen` then counts the
   * AH header too.
   */
  readonly ah?: () => AhRxReason | undefined;
}

/** The outcome: an accepted advert with any counted notes, or the reason it was discarded. */
export type VrrpRxResult =
  | { readonly ok: true; readonly advert: VrrpAdvert; readonly notes: readonly VrrpRxNote[] }
  | { readonly ok: false; readonly reason: VrrpRxReason };

const ETH_PAYLOAD_MIN = 46; // ETH_ZLEN 60 − ETH_HLEN 14
const VLAN_TAG = 4;

function reject(reason: VrrpRxReason): VrrpRxResult {
  return { ok: false, reason };
}

/** True for 224.0.0.0/4 and ff00::/8. */
function isMulticast(addr: string, af: Af): boolean {
  const first = ipBytes(addr)?.[0] ?? 0;
  return af === 6 ? first === 0xff : first >= 224 && first <= 239;
}

/**
 * Short frames are padded to 60 bytes on Ethernet, so a received length may exceed the expected one
 * by the padding, known only modulo a VLAN tag (vrrp.c vrrp_check_packet() comment).
 */
function paddingOk(expected: number, got: number): boolean {
  return (
    expected < ETH_PAYLOAD_MIN &&
    expected < got &&
    (got - expected) % VLAN_TAG === (VLAN_TAG - (ETH_PAYLOAD_MIN % VLAN_TAG)) % VLAN_TAG
  );
}

/** Runs the receive checks over the `len` VRRP bytes at `off`. */
export function checkAdvert(
  facts: VrrpRxFacts,
  buf: Uint8Array,
  off: number,
  len: number,
  cfg: VrrpRxConfig,
): VrrpRxResult {
  if (len < VRRP_HEADER_LEN || buf.length - off < len) return reject(VRRP_RX.TRUNCATED);
  if (buf[off + 1] !== cfg.vrid) return reject(VRRP_RX.UNKNOWN_VRID);
  // The expected length follows the packet's own version nibble, so a v2 advert to a v3 instance
  // fails here before the version check, as keepalived logs it.
  const version = buf[off]! >> 4;
  const expected = facts.ipHeaderLen + vrrpLength(version === 2 ? 2 : 3, cfg.af, buf[off + 3]!);
  const got = facts.ipHeaderLen + len;
  if (got !== expected && !paddingOk(expected, got)) return reject(VRRP_RX.LENGTH);
  if (!cfg.unicast && facts.ttl !== -1 && facts.ttl !== 255) return reject(VRRP_RX.TTL);
  if (version !== cfg.version) return reject(VRRP_RX.VERSION);
  const vlen = expected - facts.ipHeaderLen;
  if (version === 2) {
    const authType = buf[off + 4]!;
    if (authType !== VRRP_AUTH.NONE && authType !== VRRP_AUTH.PASS && authType !== VRRP_AUTH.AH)
      return reject(VRRP_RX.AUTH_INVALID_TYPE);
    if (authType !== cfg.authType) return reject(VRRP_RX.AUTH_TYPE_MISMATCH);
    if (authType === VRRP_AUTH.PASS) {
      // Compared in constant time over all 8 bytes (keepalived memcmp_constant_time()).
      let diff = 0;
      const p = off + vlen - VRRP_AUTH_LEN;
      for (let i = 0; i < VRRP_AUTH_LEN; i++) diff |= buf[p + i]! ^ (cfg.authData[i] ?? 0);
      if (diff !== 0) return reject(VRRP_RX.AUTH_FAILURE);
    }
    if (authType === VRRP_AUTH.AH) {
      const why = facts.ah ? facts.ah() : VRRP_RX.AH_ICV;
      if (why !== undefined) return reject(why);
    }
    if (buf[off + 5] !== cfg.interval) return reject(VRRP_RX.INTERVAL);
  }
  if ((buf[off]! & 0x0f) !== VRRP_TYPE_ADVERT) return reject(VRRP_RX.TYPE);
  if (facts.checkVips && buf[off + 3] !== cfg.vips.length) return reject(VRRP_RX.ADDR_COUNT);
  const notes: VrrpRxNote[] = [];
  if (version === 3 && (((buf[off + 4]! & 0x0f) << 8) | buf[off + 5]!) !== cfg.interval)
    notes.push(VRRP_RX_NOTE.INTERVAL_V3);
  const ctx = { af: cfg.af, src: facts.src, dst: facts.dst, asV2: cfg.v3ChecksumAsV2 };
  if (!verifyVrrpChecksum(buf, off, vlen, ctx)) {
    const old =
      version === 3 &&
      cfg.af === 4 &&
      cfg.unicast &&
      cfg.oldUnicastChecksum &&
      !cfg.v3ChecksumAsV2 &&
      verifyVrrpChecksum(buf, off, vlen, { ...ctx, dst: cfg.mcastGroup4 });
    if (!old) return reject(VRRP_RX.CHECKSUM);
    notes.push(VRRP_RX_NOTE.OLD_UNICAST_CHECKSUM);
  }
  if (isMulticast(facts.dst, cfg.af) === cfg.unicast) return reject(VRRP_RX.UNICAST_MULTICAST);
  if (cfg.ownerIgnoreAdverts && facts.effectivePriority === 255) return reject(VRRP_RX.OWNER_IGNORE);
  const advert = decodeVrrp(buf, off, cfg.af);
  if (!facts.checkVips) return { ok: true, advert, notes };
  if (cfg.vips.some((v) => !advert.addrs.includes(v))) return reject(VRRP_RX.VIP_MISSING);
  if (cfg.unicast && cfg.checkUnicastSrc) {
    const peer = cfg.unicastPeers.find((p) => p.addr === facts.src);
    if (!peer) return reject(VRRP_RX.UNICAST_SRC);
    if (facts.ttl !== -1 && (facts.ttl < (peer.minTtl ?? 0) || facts.ttl > (peer.maxTtl ?? 255)))
      return reject(VRRP_RX.UNICAST_TTL);
  }
  return { ok: true, advert, notes };
}
