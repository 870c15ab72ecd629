/**
 * `lvsd --bgp` in /metrics (issue 18): per VIP whether lvsd wants it announced and whether BIRD
 * holds it, whether talking to BIRD currently fails, and each BGP session BIRD reports: what an
 * operator of a director tier alerts on (a VIP withheld on every director, a session down).
 */
import type { BgpView } from '../../control/bgp-views.js';
import { type Exposition, labelText } from './exposition.js';

/** Writes the lvs_bgp_* families of `v`. */
export function writeBgpFamilies(out: Exposition, v: BgpView): void {
  const held = new Set(v.announced);
  const vip = (x: { prefix: string }) => labelText({ vip: x.prefix });
  out.series(
    'lvs_bgp_vip_wanted',
    'gauge',
    'lvsd wants the VIP announced: not drained, served, with quorum (1) or not (0).',
    v.vips,
    vip,
    (x) => (x.announce ? 1 : 0),
  );
  out.series(
    'lvs_bgp_vip_announced',
    'gauge',
    'BIRD holds the VIP route since its last accepted reload (1) or not (0).',
    v.vips,
    vip,
    (x) => (held.has(x.prefix) ? 1 : 0),
  );
  out.family(
    'lvs_bgp_error',
    'gauge',
    'Talking to BIRD currently fails (1; lvsadm --bgp says why) or not (0).',
  );
  out.sample('lvs_bgp_error', '', v.error ? 1 : 0);
  out.series(
    'lvs_bgp_session_up',
    'gauge',
    "A BGP session in BIRD's show protocols is Established (1) or not (0).",
    v.bird.filter((r) => r.proto === 'BGP'),
    (r) => labelText({ name: r.name }),
    (r) => (r.state === 'up' && r.info.startsWith('Established') ? 1 : 0),
  );
}
