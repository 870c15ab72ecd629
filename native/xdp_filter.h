/*
 * The XDP filter of the AF_XDP path, assembled by hand (no libbpf, no clang at install): the
 * instructions only, loaded by bpf_sys.c's bpfXdpFilterLoad. Pure C, no N-API.
 */
#ifndef LVS_XDP_FILTER_H
#define LVS_XDP_FILTER_H

#include <linux/bpf.h>

/* Room the program needs; lvs_xdp_filter_build never writes more. */
#define LVS_XDP_FILTER_MAX_INSNS 256

/*
 * The flow-offload map (src/io/packet-socket/xdp-flow-map.ts writes it). Key, 16 bytes: IPv4
 * saddr, daddr (network order), sport, dport (network order), protocol, three zero bytes.
 * Value, LVS_FLOW_VALUE_BYTES: destination MAC (0), source MAC (6), egress ifindex (u32 at
 * 12), path MTU (u32 at 16), NAT address (u32 at 20, network order), packets (u64 at 24), IP
 * bytes (u64 at 32), last seen in CLOCK_MONOTONIC ns (u64 at 40), IP checksum sum (u32 at 48:
 * 0xfeff for the TTL, plus a NAT address change), L4 checksum sum (u32 at 52), NAT port (u16 at
 * 56, network order), kind (u8 at 58: 0 DR, 1 NAT destination, 2 NAT source); host byte order
 * where not said.
 */
#define LVS_FLOW_KEY_BYTES 16
#define LVS_FLOW_VALUE_BYTES 64
#define LVS_FLOW_V_IFINDEX 12
#define LVS_FLOW_V_MTU 16
#define LVS_FLOW_V_ADDR 20
#define LVS_FLOW_V_PACKETS 24
#define LVS_FLOW_V_BYTES 32
#define LVS_FLOW_V_SEEN 40
#define LVS_FLOW_V_IPADD 48
#define LVS_FLOW_V_L4ADD 52
#define LVS_FLOW_V_PORT 56
#define LVS_FLOW_V_KIND 58

/*
 * Writes the filter into out and returns its instruction count. The map fds (XSKMAP, bypass
 * hash, host-address hash, and with flow_map >= 0 the flow-offload hash and the devmap of
 * egress interfaces) become BPF_PSEUDO_MAP_FD loads; only BPF_PROG_LOAD checks them. With
 * flow_map < 0 there is no offload section.
 */
int lvs_xdp_filter_build(struct bpf_insn *out, int xsk_map, int filter_map, int local_map, int flow_map,
                         int dev_map);

#endif
