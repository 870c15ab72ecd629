/**
 * The BIRD 2 configuration fragment `lvsd --bgp` writes (issue 18): two static protocols holding
 * a blackhole host route per announced VIP, one IPv4 and one IPv6, since a static protocol has a
 * single channel (BIRD 2 user's guide, "Static"). The operator's bird.conf `include`s the file and
 * exports the routes with its own filter, e.g. `export where proto = "lvs_vips";`, so lvsd never
 * owns a BGP session, a filter or a router id. An empty protocol is valid, so withdrawing every
 * VIP leaves the protocols in place (BIRD keeps them up; nothing is exported).
 */

/** What `--bgp-protocol` accepts: a BIRD symbol (letters, digits, `_`), short enough for both names. */
export const BIRD_PROTOCOL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,30}$/;

/** The default `--bgp-protocol`: protocols `lvs_vips` and `lvs_vips6`. */
export const DEFAULT_BIRD_PROTOCOL = 'lvs_vips';

/** The two protocol names for `--bgp-protocol NAME`: NAME (IPv4) and NAME6 (IPv6). */
export function birdProtocolNames(name: string): readonly [string, string] {
  return [name, `${name}6`];
}

/**
 * The include file's text for `prefixes` (`192.0.2.10/32`, `2001:db8::10/128`), in the given
 * order. Only host routes of canonical addresses reach here (control/bgp-plan.ts hostPrefix).
 */
export function birdInclude(name: string, prefixes: readonly string[]): string {
  const [v4, v6] = birdProtocolNames(name);
  const routes = (six: boolean) =>
    prefixes
      .filter((p) => p.includes(':') === six)
      .map((p) => `  route ${p} blackhole;\n`)
      .join('');
  return `# Written by lvsd --bgp (LVS.ts): the VIPs this director announces. lvsd rewrites this
# file and runs \`configure\` whenever the set changes; do not edit it. Export the routes with
# your own filter, e.g. \`export where proto = "${v4}" || proto = "${v6}";\`.
protocol static ${v4} {
  ipv4;
${routes(false)}}
protocol static ${v6} {
  ipv6;
${routes(true)}}
`;
}
