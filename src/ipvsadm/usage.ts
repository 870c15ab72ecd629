/**
 * `-h` text and `-v` line, byte-for-byte as ipvsadm 1.31 prints them (captured from the Debian
 * ipvsadm 1.31 binary). The program name is substituted as ipvsadm substitutes argv[0].
 */
import { IMITATED, LVS_TS_VERSION } from '../core/version.js';

/** The `-v` line; lvsadm reports ipvsadm's version because scripts parse it. */
export const VERSION_LINE = 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)';

/** The full `-h` text (version line, usage, commands, options), ending in a newline. */
export function usageText(prog: string): string {
  const p = prog;
  return `${VERSION_LINE}
Usage:
  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  ${p} -D virtual-service
  ${p} -C
  ${p} -R
  ${p} -S [-n]
  ${p} -a|e virtual-service -r server-address [options]
  ${p} -d virtual-service -r server-address
  ${p} -L|l [virtual-service] [options]
  ${p} -Z [virtual-service]
  ${p} --set tcp tcpfin udp
  ${p} --start-daemon {master|backup} [daemon-options]
  ${p} --stop-daemon {master|backup}
  ${p} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
`;
}

/**
 * Our additions, documented apart so `-h` stays byte-identical to ipvsadm's: printed by
 * `lvsadm --help-extensions`. The first line names LVS.ts and its version, so a script can tell
 * lvsadm from ipvsadm (which refuses the option as unknown).
 */
export const EXTENSIONS_TEXT = `lvsadm (LVS.ts ${LVS_TS_VERSION}): ipvsadm ${IMITATED.ipvsadm}'s commands and output, with lvsd holding the table.
Extensions beyond ipvsadm ${IMITATED.ipvsadm}:
  --socket PATH                       control socket of lvsd (anywhere in the arguments;
                                      default $LVSD_SOCKET, else lvsd's default path)
  --help-extensions                   this text
  --sysctl [NAME[=VALUE]]             lvsd's net.ipv4.vs.* settings as sysctl -a prints them: all,
                                      one, or set one (NAME with or without net.ipv4.vs.);
                                      lvsd also reads them from /etc/sysctl.conf, sysctl.d and
                                      lvsd --sysctl at start
  --bgp                               what lvsd --bgp announces through BIRD, and BIRD's sessions
  --bgp-drain [VIP]                   withdraw VIP's BGP route (every VIP without one); lvsd keeps
                                      serving the connections the router still sends
  --bgp-undrain [VIP]                 announce it again (once it is served and healthy)

List views (-L, or alone: lvsadm --health):
  --status                            whether the data plane serves each virtual service, and why not
  --health                            health-check state of each real server (lvsd --config)
  --availability                      uptime %, failures, MTBF, MTTR of services and real servers
  --vrrp                              VRRP instances: state, priority, master, errors (lvsd --config)
  --sync-origin                       with -c: /proc/net/ip_vs_conn_sync rows (Origin LOCAL or SYNC)

FULLNAT (DPVS spellings):
  --fullnat      -b                   FULLNAT forwarding on -a/-e (-b stays sched-flags on -A/-E)
  --add-laddr    -P                   add a local address: -P -t|u service -z addr [-F ifname]
  --del-laddr    -Q                   delete a local address: -Q -t|u service -z addr
  --get-laddr    -G                   list local addresses: -G [-t|u service]
  --laddr        -z addr              FULLNAT local address
  --ifname       -F ifname            interface of a local address
  --proxy-protocol v1|v2              send a PROXY protocol header to the real server (-a/-e)

Sync daemons: --start-daemon/--stop-daemon run lvsd's own (UDP multicast, the kernel's wire
format); -L --daemon lists them.

Labs (root, network namespaces):
  lvsadm lab up|down|status|trace MODE   a client, a director and two real servers per forwarding
                                         mode; lvsadm lab --help lists the modes
  lvsadm lab up|...|trace cluster        a BIRD/ECMP router in front of three lvsd --bgp directors

The daemon: lvsd --help (--config keepalived.conf|ldirectord.cf, --dataplane proxy|packet|none,
--check-config) and its subcommands simulate, rs-setup, rs-agent; lvsd --version.
`;

/**
 * The one line `-h` and `-v` add after ipvsadm's text, and only when stdout is a terminal: a
 * person typing `lvsadm -h` learns the extensions exist, while everything that captures the
 * output (scripts, diffs against ipvsadm, the parity tests) still gets ipvsadm's bytes.
 */
export const TERMINAL_NOTE = `(lvsadm is LVS.ts ${LVS_TS_VERSION}; its extensions: lvsadm --help-extensions)\n`;
