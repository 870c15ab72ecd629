/**
 * The lab's XDP_PASS program for the veth peers of the director's links, so that lvsd's XDP flow
 * offload can be seen forwarding on a veth lab.
 *
 * A veth delivers the frames an XDP program returns with XDP_TX (or redirects) to its peer's
 * ring, but only an XDP program on the peer makes it poll that ring: drivers/net/veth.c
 * veth_xdp_flush() schedules the peer's NAPI only when the peer's rq has an xdp_prog, and
 * veth_xdp_xmit() wants the peer's NAPI at all (GRO on the peer enables it, but without an XDP
 * program there the frames wait in the ring until an skb happens to be sent the same way). A
 * physical NIC needs none of this: XDP_TX puts the frame on its own TX ring.
 *
 * The program (r0 = XDP_PASS; exit) is written as a minimal BPF ELF object, as clang would make
 * from `SEC("xdp") int xdp_pass(void *ctx) { return XDP_PASS; }`, and attached with
 * `ip link set dev IF xdpdrv obj FILE sec xdp` (iproute2 loads it through libbpf).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EM_BPF = 247;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;

/** mov64 r0, 2 (XDP_PASS); exit. */
const PROGRAM = Buffer.from([0xb7, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const LICENSE = Buffer.from('GPL\0');

/** A relocatable little-endian ELF64 BPF object holding the XDP_PASS program in section "xdp". */
export function xdpPassObject(): Buffer {
  // Section and symbol names share one string table.
  const names = ['', '.strtab', 'xdp', 'license', '.symtab', 'xdp_pass', '_license'];
  const off: Record<string, number> = {};
  let strtab = '';
  for (const n of names) {
    off[n] = strtab.length;
    strtab += `${n}\0`;
  }
  const str = Buffer.from(strtab, 'latin1');
  // Symbols: the null one, then the GLOBAL FUNC xdp_pass (section 2) and OBJECT _license (3).
  const sym = Buffer.alloc(24 * 3);
  const putSym = (i: number, name: number, info: number, shndx: number, size: number): void => {
    const b = i * 24;
    sym.writeUInt32LE(name, b);
    sym.writeUInt8(info, b + 4);
    sym.writeUInt16LE(shndx, b + 6);
    sym.writeBigUInt64LE(BigInt(size), b + 16);
  };
  putSym(1, off.xdp_pass!, (1 << 4) | 2, 2, PROGRAM.length);
  putSym(2, off._license!, (1 << 4) | 1, 3, LICENSE.length);
  // Layout: header (64), program (16, align 8), license (4), symtab (align 8), strtab, section headers.
  const progOff = 64;
  const licOff = progOff + PROGRAM.length;
  const symOff = (licOff + LICENSE.length + 7) & ~7;
  const strOff = symOff + sym.length;
  const shOff = (strOff + str.length + 7) & ~7;
  const out = Buffer.alloc(shOff + 64 * 5);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1
  out.writeUInt16LE(1, 16); // ET_REL
  out.writeUInt16LE(EM_BPF, 18);
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shOff), 40);
  out.writeUInt16LE(64, 52); // e_ehsize
  out.writeUInt16LE(64, 58); // e_shentsize
  out.writeUInt16LE(5, 60); // e_shnum
  out.writeUInt16LE(1, 62); // e_shstrndx
  PROGRAM.copy(out, progOff);
  LICENSE.copy(out, licOff);
  sym.copy(out, symOff);
  str.copy(out, strOff);
  const sh = (
    i: number,
    name: number,
    type: number,
    flags: number,
    offset: number,
    size: number,
    link: number,
    info: number,
    align: number,
    entsize: number,
  ): void => {
    const b = shOff + i * 64;
    out.writeUInt32LE(name, b);
    out.writeUInt32LE(type, b + 4);
    out.writeBigUInt64LE(BigInt(flags), b + 8);
    out.writeBigUInt64LE(BigInt(offset), b + 24);
    out.writeBigUInt64LE(BigInt(size), b + 32);
    out.writeUInt32LE(link, b + 40);
    out.writeUInt32LE(info, b + 44);
    out.writeBigUInt64LE(BigInt(align), b + 48);
    out.writeBigUInt64LE(BigInt(entsize), b + 56);
  };
  sh(1, off['.strtab']!, SHT_STRTAB, 0, strOff, str.length, 0, 0, 1, 0);
  sh(2, off.xdp!, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, progOff, PROGRAM.length, 0, 0, 8, 0);
  sh(3, off.license!, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, licOff, LICENSE.length, 0, 0, 1, 0);
  // sh_info of a symtab: index of the first non-local symbol.
  sh(4, off['.symtab']!, SHT_SYMTAB, 0, symOff, sym.length, 1, 1, 8, 24);
  return out;
}

/** Writes the object into `dir` and returns its path. */
export function writeXdpPassObject(dir: string): string {
  const f = join(dir, 'xdp-pass.o');
  writeFileSync(f, xdpPassObject());
  return f;
}
