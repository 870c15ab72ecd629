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
enum { L_PASS, L_REDIRECT, L_PORTS, L_COUNT };
typedef struct {
  struct bpf_insn *in; /* LVS_XDP_FILTER_MAX_INSNS */
  int n;
  int label[L_COUNT];
  int fix_at[32], fix_to[32], nfix;
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

static void jmp(bpf_asm *p, uint8_t op, uint8_t src_kind, uint8_t d, uint8_t s, int32_t imm, int to) {
  p->fix_at[p->nfix] = p->n;
  p->fix_to[p->nfix++] = to;
  emit(p, BPF_JMP | op | src_kind, d, s, 0, imm);
}
#define JI(op, d, i, to) jmp(p, op, BPF_K, d, 0, i, to)
#define JR(op, d, s, to) jmp(p, op, BPF_X, d, s, 0, to)

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
static void assemble(bpf_asm *p, int xsks, int filter, int local) {
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

int lvs_xdp_filter_build(struct bpf_insn *out, int xsk_map, int filter_map, int local_map) {
  bpf_asm a;
  memset(&a, 0, sizeof a);
  a.in = out;
  assemble(&a, xsk_map, filter_map, local_map);
  return a.n;
}
