/**
 * haproxy.cfg of a "keepalived+haproxy" director in the failover race: the classic load balancer
 * pairing where the kernel has no IPVS (keepalived moves the VIP, HAProxy balances). HAProxy runs
 * in `mode tcp` (layer 4, like lvsd's proxy plane) with a frontend bound to the VIP and one
 * backend server, the same director-local HTTP server lvsd's virtual_server proxies to, so both
 * kinds of director do the same job with the same hops. The bind needs no `transparent` option:
 * the lab sets net.ipv4.ip_nonlocal_bind, so the backup's HAProxy can bind the VIP before it owns
 * it (Linux net/ipv4/af_inet.c inet_bind() → inet_addr_valid_or_nonlocal()).
 */

/** Where a director's HAProxy listens and where it forwards. */
export interface HaproxyConfInput {
  /** The VIP the frontend binds. */
  vip: string;
  /** The frontend's port on the VIP. */
  port: number;
  /** The director-local server's address and port. */
  server: { host: string; port: number };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkPort(what: string, p: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535)
    throw new Error(`haproxy-conf: ${what} port ${p} is not 1..65535`);
}

/** Renders the haproxy.cfg text; throws on an address or port HAProxy would reject. */
export function haproxyConf(c: HaproxyConfInput): string {
  for (const [what, a] of [
    ['vip', c.vip],
    ['server', c.server.host],
  ] as const)
    if (!IPV4.test(a)) throw new Error(`haproxy-conf: ${what} ${JSON.stringify(a)} is not an IPv4 address`);
  checkPort('vip', c.port);
  checkPort('server', c.server.port);
  // One thread: the machine's two cores are shared, and lvsd's proxy plane is one thread too.
  // Timeouts only bound a stuck connection; the client gives up after 250 ms anyway.
  return `global
  nbthread 1

defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend vip
  bind ${c.vip}:${c.port}
  default_backend director

backend director
  server local ${c.server.host}:${c.server.port}
`;
}
