/**
 * The host's available memory, as kernel IPVS's update_defense_level() (ip_vs_ctl.c) measures
 * it: si_meminfo()'s freeram + bufferram, which /proc/meminfo shows as `MemFree` and `Buffers`
 * (fs/proc/meminfo.c). Not `MemAvailable`: the kernel's defenses count free and buffer pages
 * only, and lvsd's `amemthresh` means what the kernel's does.
 */
import { readFileSync } from 'node:fs';

/** Where lvsd's defense timer reads memory from. */
export interface MemorySource {
  /** Free + buffer memory in KiB, or undefined when it cannot be read. */
  availableKiB(): number | undefined;
}

/** `MemFree` + `Buffers` of a /proc/meminfo text in KiB, or undefined when either is missing. */
export function meminfoAvailableKiB(text: string): number | undefined {
  let free: number | undefined;
  let buffers: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^(MemFree|Buffers):\s+(\d+) kB$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'MemFree') free = Number(m[2]);
    else buffers = Number(m[2]);
  }
  return free === undefined || buffers === undefined ? undefined : free + buffers;
}

/**
 * Reads /proc/meminfo (or `path`) on each call. procfs answers from memory without blocking,
 * so a synchronous read once a second costs microseconds.
 */
export function procMemorySource(path = '/proc/meminfo'): MemorySource {
  return {
    availableKiB() {
      try {
        return meminfoAvailableKiB(readFileSync(path, 'latin1'));
      } catch {
        return undefined;
      }
    },
  };
}
