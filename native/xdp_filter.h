/*
 * The XDP filter of the AF_XDP path, assembled by hand (no libbpf, no clang at install): the
 * instructions only, loaded by bpf_sys.c's bpfXdpFilterLoad. Pure C, no N-API.
 */
#ifndef LVS_XDP_FILTER_H
#define LVS_XDP_FILTER_H

#include <linux/bpf.h>

/* Room the program needs; lvs_xdp_filter_build never writes more. */
#define LVS_XDP_FILTER_MAX_INSNS 96

/*
 * Writes the filter into out and returns its instruction count. The three map fds (XSKMAP,
 * bypass hash, host-address hash) become BPF_PSEUDO_MAP_FD loads; any value assembles (the
 * count does not depend on them), only BPF_PROG_LOAD checks them.
 */
int lvs_xdp_filter_build(struct bpf_insn *out, int xsk_map, int filter_map, int local_map);

#endif
