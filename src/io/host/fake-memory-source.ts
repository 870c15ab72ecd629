/** The in-memory MemorySource of tests (memory-source.ts): the test sets what memory is left. */
import type { MemorySource } from './memory-source.js';

/** An in-memory stand-in: `kib` is what availableKiB() answers (undefined: unreadable). */
export class FakeMemorySource implements MemorySource {
  constructor(public kib: number | undefined = 1 << 30) {}
  availableKiB(): number | undefined {
    return this.kib;
  }
}
