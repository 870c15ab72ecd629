/**
 * The lab's XDP_PASS object (tools/lab/xdp-pass.ts) is an ELF64 BPF relocatable object that
 * libbpf can read: its "xdp" section holds `mov r0, 2; exit`, named by a global function symbol,
 * with a GPL license section. (test/e2e/lab-xdp-offload-dr.test.ts loads it into a kernel.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xdpPassObject } from '../../src/tools/lab/xdp-pass.js';

interface Section {
  name: string;
  type: number;
  flags: number;
  data: Buffer;
  link: number;
  info: number;
  entsize: number;
}

function sections(elf: Buffer): Section[] {
  const shoff = Number(elf.readBigUInt64LE(40));
  const shnum = elf.readUInt16LE(60);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const b = shoff + i * 64;
    const off = Number(elf.readBigUInt64LE(b + 24));
    return {
      nameOff: elf.readUInt32LE(b),
      type: elf.readUInt32LE(b + 4),
      flags: Number(elf.readBigUInt64LE(b + 8)),
      data: elf.subarray(off, off + Number(elf.readBigUInt64LE(b + 32))),
      link: elf.readUInt32LE(b + 40),
      info: elf.readUInt32LE(b + 44),
      entsize: Number(elf.readBigUInt64LE(b + 56)),
    };
  });
  const strtab = raw[elf.readUInt16LE(62)]!.data;
  const name = (o: number): string => strtab.subarray(o, strtab.indexOf(0, o)).toString('latin1');
  return raw.map(({ nameOff, ...s }) => ({ ...s, name: name(nameOff) }));
}

test('the XDP_PASS object is a BPF ELF whose xdp section returns XDP_PASS, named by a global function', () => {
  const elf = xdpPassObject();
  assert.deepEqual([...elf.subarray(0, 6)], [0x7f, 0x45, 0x4c, 0x46, 2, 1]);
  assert.equal(elf.readUInt16LE(16), 1, 'ET_REL');
  assert.equal(elf.readUInt16LE(18), 247, 'EM_BPF');
  const secs = sections(elf);
  const xdp = secs.find((s) => s.name === 'xdp');
  assert.ok(xdp);
  assert.equal(xdp.flags & 6, 6, 'alloc + execinstr');
  // BPF_ALU64|BPF_MOV|BPF_K r0 = 2 (XDP_PASS), then BPF_JMP|BPF_EXIT.
  assert.deepEqual([...xdp.data], [0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(secs.find((s) => s.name === 'license')?.data.toString('latin1'), 'GPL\0');
  const symtab = secs.find((s) => s.type === 2);
  assert.ok(symtab);
  assert.equal(symtab.entsize, 24);
  const symStr = secs[symtab.link]!.data;
  const syms = Array.from({ length: symtab.data.length / 24 }, (_, i) => {
    const b = i * 24;
    const o = symtab.data.readUInt32LE(b);
    return {
      name: symStr.subarray(o, symStr.indexOf(0, o)).toString('latin1'),
      info: symtab.data[b + 4]!,
      shndx: symtab.data.readUInt16LE(b + 6),
      size: Number(symtab.data.readBigUInt64LE(b + 16)),
    };
  });
  const fn = syms.find((s) => s.name === 'xdp_pass');
  assert.ok(fn);
  assert.equal(fn.info, 0x12, 'STB_GLOBAL, STT_FUNC');
  assert.equal(secs[fn.shndx]?.name, 'xdp');
  assert.equal(fn.size, 16);
  // sh_info of a symtab: the first global symbol follows every local one.
  assert.ok(syms.slice(0, symtab.info).every((s) => s.info >> 4 === 0));
  assert.ok(syms.slice(symtab.info).every((s) => s.info >> 4 === 1));
});
