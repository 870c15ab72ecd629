/*
 * The XDP filter (see xdp_filter.h): redirects to the XSKMAP only IPv4 TCP/UDP/SCTP frames whose
 * (daddr, proto, dport|0) or, unless daddr is a host address, (saddr, proto, sport|0) is in a hash
 * map that TypeScript fills from bypass-rules.ts; everything else is XDP_PASS (the kernel stack,
 * and AF_PACKET). Instruction encoding: the kernel's Documentation/bpf/standardization/
 * instruction-set.rst; helpers and their arguments: include/uapi/linux/bpf.h
 * (bpf_map_lookup_elem, bpf_redirect_map, whose flags' low bits are the action when the map slot
 * is empty).
 */
#include "xdp_filter.h"

#include <stdint.h>
#include <string.h>

/* A tiny assembler: jumps name a label, resolved once the program is complete. */
enum { L_PASS, L_REDIRECT, L_PORTS, L_FILTER, L_RESTORE, L_TX, L_SNAT, L_L4SUM, L_SEND, L_COUNT };
typedef struct {
  struct bpf_insn *in; /* LVS_XDP_FILTER_MAX_INSNS */
  int n;
  int label[L_COUNT];
  int fix_at[64], fix_to[64], nfix;
} bpf_asm;

static void emit(bpf_asm *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn *i = &p->in[p->n++];
  memset(i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst;
  i->src_reg = src;
  i->off = off;
  i->imm = imm;
}
#define MOVR(d, s) emit(p, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVI(d, i) emit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ALUI(op, d, i) emit(p, BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALUR(op, d, s) emit(p, BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o) emit(p, BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) emit(p, BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define STI(sz, d, o, i) emit(p, BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define CALL(f) emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LABEL(l) (p->label[l] = p->n)
/* 16-bit byte swap on this little-endian host: the kernel's BPF_END | BPF_TO_BE, imm 16. */
#define BE16(d) emit(p, BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, 16)
/* Atomic 64-bit add of register s to *(d + o) (BPF_ATOMIC with imm BPF_ADD). */
#define XADD64(d, s, o) emit(p, BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)

static void jmp(bpf_asm *p, uint8_t op, uint8_t src_kind, uint8_t d, uint8_t s, int32_t imm, int to) {
  p->fix_at[p->nfix] = p->n;
  p->fix_to[p->nfix++] = to;
  emit(p, BPF_JMP | op | src_kind, d, s, 0, imm);
}
#define JI(op, d, i, to) jmp(p, op, BPF_K, d, 0, i, to)
#define JR(op, d, s, to) jmp(p, op, BPF_X, d, s, 0, to)
#define JA(to) jmp(p, BPF_JA, BPF_K, 0, 0, 0, to)

static void ld_map(bpf_asm *p, uint8_t d, int fd) {
  emit(p, BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd);
  emit(p, 0, 0, 0, 0, 0);
}

/* r0 = map_lookup(map, fp + off) */
static void lookup(bpf_asm *p, int map, int16_t off) {
  ld_map(p, BPF_REG_1, map);
  MOVR(BPF_REG_2, BPF_REG_10);
  ALUI(BPF_ADD, BPF_REG_2, off);
  CALL(BPF_FUNC_map_lookup_elem);
}

/*
 * The filter. Registers: r6 ctx, r7 protocol, r8 saddr, r9 daddr (network order as loaded).
 * Stack: fp-8 key {addr u32, proto u8, kind u8 (0 dst, 1 src), port u16 (network order)},
 * fp-16 sport, fp-14 dport, fp-24 local-address key. Byte constants below are the little-endian
 * views of network-order fields (0x0008 = EtherType 0x0800; 0xff3f masks MF and the fragment offset).
 */
/*
 * The flow offload (xdp_filter.h has the key and value layouts): an IPv4 TCP segment whose
 * flags among ACK/SYN/FIN/RST are ACK alone, whose 5-tuple the engine installed (an ESTABLISHED
 * DR conn on a cached path) and that the engine's fast path would send unchanged but for the
 * TTL and the MACs, is forwarded here: TTL decremented with the RFC 1624 eqn. 3 update of the
 * header checksum (the engine's decrementTtl4, bit for bit), the prebuilt Ethernet addresses
 * written, the flow's packet and IP-byte counters bumped atomically and its last-seen time set
 * (bpf_ktime_get_ns: CLOCK_MONOTONIC), then XDP_TX on the ingress interface or bpf_redirect_map
 * through the devmap (flags 0: XDP_ABORTED if the egress is missing, which lvsd never installs).
 * TTL <= 1 (ICMP time exceeded) and packets above the path MTU (ICMP fragmentation needed) stay
 * with the engine, as in its fast path (ip-path.ts fastRequest). A value of kind 1 or 2 (NAT)
 * also gets its destination or source address and port rewritten and the TCP checksum updated
 * by the sum the installer precomputed (engine/flow-nat-value.ts); the IP checksum's sum then
 * carries the address change too. Entry: r2 = data + IP header
 * length, r3 = data_end, r7 = protocol, r8 = saddr, r9 = daddr, ports at fp-16/fp-14. On a miss
 * it continues at L_FILTER with those registers (r8 restored from the key on the stack).
 */
static void offload(bpf_asm *p, int flow, int devmap) {
  JI(BPF_JNE, BPF_REG_7, 6, L_FILTER);
  MOVR(BPF_REG_5, BPF_REG_2);
  ALUI(BPF_ADD, BPF_REG_5, 34); /* Ethernet + a 20-byte TCP header */
  JR(BPF_JGT, BPF_REG_5, BPF_REG_3, L_FILTER);
  LDX(BPF_B, BPF_REG_5, BPF_REG_2, 27); /* TCP flags */
  ALUI(BPF_AND, BPF_REG_5, 0x17);
  JI(BPF_JNE, BPF_REG_5, 0x10, L_FILTER);
  /* key at fp-48: saddr, daddr, sport, dport (network order), protocol, three zero bytes */
  STX(BPF_W, BPF_REG_10, BPF_REG_8, -48);
  STX(BPF_W, BPF_REG_10, BPF_REG_9, -44);
  LDX(BPF_H, BPF_REG_5, BPF_REG_10, -16);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -40);
  LDX(BPF_H, BPF_REG_5, BPF_REG_10, -14);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -38);
  STI(BPF_W, BPF_REG_10, -36, 6);
  lookup(p, flow, -48);
  JI(BPF_JEQ, BPF_REG_0, 0, L_RESTORE);
  MOVR(BPF_REG_8, BPF_REG_0); /* the value; saddr is back from the key on any way out */
  LDX(BPF_W, BPF_REG_2, BPF_REG_6, 0);
  LDX(BPF_W, BPF_REG_3, BPF_REG_6, 4);
  MOVR(BPF_REG_4, BPF_REG_2);
  ALUI(BPF_ADD, BPF_REG_4, 34);
  JR(BPF_JGT, BPF_REG_4, BPF_REG_3, L_RESTORE);
  LDX(BPF_B, BPF_REG_4, BPF_REG_2, 22); /* TTL */
  JI(BPF_JLE, BPF_REG_4, 1, L_RESTORE);
  LDX(BPF_H, BPF_REG_5, BPF_REG_2, 16); /* total length */
  BE16(BPF_REG_5);
  LDX(BPF_W, BPF_REG_4, BPF_REG_8, LVS_FLOW_V_MTU);
  JR(BPF_JGT, BPF_REG_5, BPF_REG_4, L_RESTORE);
  /* r9 = the TCP header less the 14 Ethernet bytes (frame offset of the L4 header - 14), with
   * room for the Ethernet header and 20 TCP bytes checked again for the verifier (the first
   * check was on r2 before the lookup). Past here nothing goes back to the filter. */
  LDX(BPF_B, BPF_REG_0, BPF_REG_2, 14);
  ALUI(BPF_AND, BPF_REG_0, 0x0f);
  ALUI(BPF_LSH, BPF_REG_0, 2);
  MOVR(BPF_REG_4, BPF_REG_2);
  ALUR(BPF_ADD, BPF_REG_4, BPF_REG_0);
  MOVR(BPF_REG_0, BPF_REG_4);
  ALUI(BPF_ADD, BPF_REG_0, 34);
  JR(BPF_JGT, BPF_REG_0, BPF_REG_3, L_RESTORE);
  MOVR(BPF_REG_9, BPF_REG_4);
  MOVI(BPF_REG_1, 1);
  XADD64(BPF_REG_8, BPF_REG_1, LVS_FLOW_V_PACKETS);
  XADD64(BPF_REG_8, BPF_REG_5, LVS_FLOW_V_BYTES);
  /* HC' = ~(~HC + ~m + m') with m' = m - 0x100 (m >= 0x200 here): ~m + m' = 0xfeff; the value
   * holds 0xfeff plus, for NAT, the address change's ~old + new 16-bit words (rewrite.ts
   * translate4's sum, constant per flow). */
  LDX(BPF_H, BPF_REG_4, BPF_REG_2, 24);
  BE16(BPF_REG_4);
  ALUI(BPF_XOR, BPF_REG_4, 0xffff);
  LDX(BPF_W, BPF_REG_5, BPF_REG_8, LVS_FLOW_V_IPADD);
  ALUR(BPF_ADD, BPF_REG_4, BPF_REG_5);
  for (int k = 0; k < 2; k++) {
    MOVR(BPF_REG_5, BPF_REG_4);
    ALUI(BPF_RSH, BPF_REG_5, 16);
    ALUI(BPF_AND, BPF_REG_4, 0xffff);
    ALUR(BPF_ADD, BPF_REG_4, BPF_REG_5);
  }
  ALUI(BPF_XOR, BPF_REG_4, 0xffff);
  BE16(BPF_REG_4);
  STX(BPF_H, BPF_REG_2, BPF_REG_4, 24);
  LDX(BPF_B, BPF_REG_4, BPF_REG_2, 22);
  ALUI(BPF_SUB, BPF_REG_4, 1);
  STX(BPF_B, BPF_REG_2, BPF_REG_4, 22);
  /* destination then source MAC, as the engine's transmit cache prebuilt them */
  LDX(BPF_W, BPF_REG_4, BPF_REG_8, 0);
  STX(BPF_W, BPF_REG_2, BPF_REG_4, 0);
  LDX(BPF_H, BPF_REG_4, BPF_REG_8, 4);
  STX(BPF_H, BPF_REG_2, BPF_REG_4, 4);
  LDX(BPF_W, BPF_REG_4, BPF_REG_8, 6);
  STX(BPF_W, BPF_REG_2, BPF_REG_4, 6);
  LDX(BPF_H, BPF_REG_4, BPF_REG_8, 10);
  STX(BPF_H, BPF_REG_2, BPF_REG_4, 10);
  /* NAT (kind 1: the destination, as ip_vs_nat_xmit's DNAT; 2: the source, as the SNAT of a
   * reply): the new address and port, and the TCP checksum updated by the value's sum (the
   * pseudo-header's address words and the port, as translate4). */
  LDX(BPF_B, BPF_REG_4, BPF_REG_8, LVS_FLOW_V_KIND);
  JI(BPF_JEQ, BPF_REG_4, 0, L_SEND);
  LDX(BPF_W, BPF_REG_5, BPF_REG_8, LVS_FLOW_V_ADDR);
  LDX(BPF_H, BPF_REG_3, BPF_REG_8, LVS_FLOW_V_PORT);
  JI(BPF_JEQ, BPF_REG_4, 2, L_SNAT);
  STX(BPF_W, BPF_REG_2, BPF_REG_5, 30);
  STX(BPF_H, BPF_REG_9, BPF_REG_3, 16);
  JA(L_L4SUM);
  LABEL(L_SNAT);
  STX(BPF_W, BPF_REG_2, BPF_REG_5, 26);
  STX(BPF_H, BPF_REG_9, BPF_REG_3, 14);
  LABEL(L_L4SUM);
  LDX(BPF_H, BPF_REG_4, BPF_REG_9, 30);
  BE16(BPF_REG_4);
  ALUI(BPF_XOR, BPF_REG_4, 0xffff);
  LDX(BPF_W, BPF_REG_5, BPF_REG_8, LVS_FLOW_V_L4ADD);
  ALUR(BPF_ADD, BPF_REG_4, BPF_REG_5);
  for (int k = 0; k < 2; k++) {
    MOVR(BPF_REG_5, BPF_REG_4);
    ALUI(BPF_RSH, BPF_REG_5, 16);
    ALUI(BPF_AND, BPF_REG_4, 0xffff);
    ALUR(BPF_ADD, BPF_REG_4, BPF_REG_5);
  }
  ALUI(BPF_XOR, BPF_REG_4, 0xffff);
  BE16(BPF_REG_4);
  STX(BPF_H, BPF_REG_9, BPF_REG_4, 30);
  LABEL(L_SEND);
  CALL(BPF_FUNC_ktime_get_ns);
  STX(BPF_DW, BPF_REG_8, BPF_REG_0, LVS_FLOW_V_SEEN);
  LDX(BPF_W, BPF_REG_2, BPF_REG_8, LVS_FLOW_V_IFINDEX);
  LDX(BPF_W, BPF_REG_3, BPF_REG_6, 12); /* ingress_ifindex */
  JR(BPF_JEQ, BPF_REG_2, BPF_REG_3, L_TX);
  ld_map(p, BPF_REG_1, devmap);
  MOVI(BPF_REG_3, 0);
  CALL(BPF_FUNC_redirect_map);
  EXIT();
  LABEL(L_TX);
  MOVI(BPF_REG_0, XDP_TX);
  EXIT();
  LABEL(L_RESTORE);
  LDX(BPF_W, BPF_REG_8, BPF_REG_10, -48);
  JA(L_FILTER);
}

static void assemble(bpf_asm *p, int xsks, int filter, int local, int flow, int devmap) {
  MOVR(BPF_REG_6, BPF_REG_1);
  LDX(BPF_W, BPF_REG_2, BPF_REG_6, 0); /* data */
  LDX(BPF_W, BPF_REG_3, BPF_REG_6, 4); /* data_end */
  MOVR(BPF_REG_4, BPF_REG_2);
  ALUI(BPF_ADD, BPF_REG_4, 34); /* Ethernet + a minimal IPv4 header */
  JR(BPF_JGT, BPF_REG_4, BPF_REG_3, L_PASS);
  LDX(BPF_H, BPF_REG_4, BPF_REG_2, 12);
  JI(BPF_JNE, BPF_REG_4, 0x0008, L_PASS); /* untagged IPv4 only */
  LDX(BPF_B, BPF_REG_4, BPF_REG_2, 14);
  MOVR(BPF_REG_5, BPF_REG_4);
  ALUI(BPF_AND, BPF_REG_5, 0xf0);
  JI(BPF_JNE, BPF_REG_5, 0x40, L_PASS);
  ALUI(BPF_AND, BPF_REG_4, 0x0f);
  JI(BPF_JLT, BPF_REG_4, 5, L_PASS);
  ALUI(BPF_LSH, BPF_REG_4, 2); /* header bytes, 20..60 */
  LDX(BPF_H, BPF_REG_5, BPF_REG_2, 20);
  ALUI(BPF_AND, BPF_REG_5, 0xff3f);
  /* Fragments (MF or an offset) pass: all pieces of a datagram then reach the engine through the
   * AF_PACKET socket, in order (the engine maps later fragments to the first one's conn). */
  JI(BPF_JNE, BPF_REG_5, 0, L_PASS);
  LDX(BPF_B, BPF_REG_7, BPF_REG_2, 23);
  JI(BPF_JEQ, BPF_REG_7, 6, L_PORTS);
  JI(BPF_JEQ, BPF_REG_7, 17, L_PORTS);
  JI(BPF_JNE, BPF_REG_7, 132, L_PASS);
  LABEL(L_PORTS);
  LDX(BPF_W, BPF_REG_8, BPF_REG_2, 26);
  LDX(BPF_W, BPF_REG_9, BPF_REG_2, 30);
  ALUR(BPF_ADD, BPF_REG_2, BPF_REG_4);
  MOVR(BPF_REG_5, BPF_REG_2);
  ALUI(BPF_ADD, BPF_REG_5, 18); /* Ethernet + the two ports */
  JR(BPF_JGT, BPF_REG_5, BPF_REG_3, L_PASS);
  LDX(BPF_H, BPF_REG_5, BPF_REG_2, 14);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -16);
  LDX(BPF_H, BPF_REG_5, BPF_REG_2, 16);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -14);
  if (flow >= 0) offload(p, flow, devmap);
  LABEL(L_FILTER);
  LDX(BPF_H, BPF_REG_5, BPF_REG_10, -14);
  /* (daddr, proto, dport), then (daddr, proto, every port) */
  STX(BPF_W, BPF_REG_10, BPF_REG_9, -8);
  STX(BPF_B, BPF_REG_10, BPF_REG_7, -4);
  STI(BPF_B, BPF_REG_10, -3, 0);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -2);
  lookup(p, filter, -8);
  JI(BPF_JNE, BPF_REG_0, 0, L_REDIRECT);
  STI(BPF_H, BPF_REG_10, -2, 0);
  lookup(p, filter, -8);
  JI(BPF_JNE, BPF_REG_0, 0, L_REDIRECT);
  /* To a host address: the director's own connection (health check), not a NAT reply. */
  STX(BPF_W, BPF_REG_10, BPF_REG_9, -24);
  lookup(p, local, -24);
  JI(BPF_JNE, BPF_REG_0, 0, L_PASS);
  /* (saddr, proto, sport), then (saddr, proto, every port) */
  STX(BPF_W, BPF_REG_10, BPF_REG_8, -8);
  STI(BPF_B, BPF_REG_10, -3, 1);
  LDX(BPF_H, BPF_REG_5, BPF_REG_10, -16);
  STX(BPF_H, BPF_REG_10, BPF_REG_5, -2);
  lookup(p, filter, -8);
  JI(BPF_JNE, BPF_REG_0, 0, L_REDIRECT);
  STI(BPF_H, BPF_REG_10, -2, 0);
  lookup(p, filter, -8);
  JI(BPF_JNE, BPF_REG_0, 0, L_REDIRECT);
  LABEL(L_PASS);
  MOVI(BPF_REG_0, XDP_PASS);
  EXIT();
  LABEL(L_REDIRECT);
  ld_map(p, BPF_REG_1, xsks);
  LDX(BPF_W, BPF_REG_2, BPF_REG_6, 16); /* rx_queue_index */
  MOVI(BPF_REG_3, XDP_PASS);             /* no socket on this queue: the kernel's */
  CALL(BPF_FUNC_redirect_map);
  EXIT();
  for (int i = 0; i < p->nfix; i++) p->in[p->fix_at[i]].off = (int16_t)(p->label[p->fix_to[i]] - p->fix_at[i] - 1);
}

int lvs_xdp_filter_build(struct bpf_insn *out, int xsk_map, int filter_map, int local_map, int flow_map,
                         int dev_map) {
  bpf_asm a;
  memset(&a, 0, sizeof a);
  a.in = out;
  assemble(&a, xsk_map, filter_map, local_map, flow_map, dev_map);
  return a.n;
}
