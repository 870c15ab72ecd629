/** In-memory ConfigIo for parser tests: files by absolute path, globs matched with matchGlob. */
import { type ConfigIo, matchGlob } from '../../src/config/keepalived/index.js';

/** Builds a ConfigIo over a path → text map. */
export function memIo(files: Record<string, string>): ConfigIo {
  return {
    readFile: (p) => files[p],
    glob: (pattern) => matchGlob(pattern, Object.keys(files)),
  };
}
