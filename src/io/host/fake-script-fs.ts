/**
 * In-memory stand-ins for script-fs.ts: a tree of paths with owners and modes (symbolic links
 * resolved by realpath), and a user database, for the script security tests.
 */
import type { ScriptFs, ScriptStat } from '../../config/script-security.js';
import type { ScriptUsers } from '../../config/secure-scripts.js';

/** One node of the fake tree: a file or directory with owner and mode, or a link to a path. */
export type FakeNode =
  | { readonly kind: 'file' | 'dir'; readonly uid?: number; readonly gid?: number; readonly mode: number }
  | { readonly kind: 'link'; readonly to: string };

/** A fake file system; paths are absolute, `/` exists as root's 0755 unless given. */
export class FakeScriptFs implements ScriptFs {
  private readonly nodes = new Map<string, FakeNode>();
  private ino = 1;
  private readonly inos = new Map<string, number>();
  constructor(
    tree: Readonly<Record<string, FakeNode>>,
    readonly searchPath = '/usr/bin:/bin',
  ) {
    this.nodes.set('/', { kind: 'dir', mode: 0o755 });
    for (const [p, n] of Object.entries(tree)) this.nodes.set(p, n);
  }

  private statOf(p: string, n: FakeNode): ScriptStat {
    if (!this.inos.has(p)) this.inos.set(p, this.ino++);
    const ino = this.inos.get(p) ?? 0;
    if (n.kind === 'link') return { kind: 'link', uid: 0, gid: 0, mode: 0o777, dev: 1, ino };
    return { kind: n.kind, uid: n.uid ?? 0, gid: n.gid ?? 0, mode: n.mode, dev: 1, ino };
  }

  /** The path with every link resolved, or undefined when a component is missing. */
  private resolve(p: string, depth = 0): string | undefined {
    if (depth > 40) return undefined;
    let cur = '';
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    for (const part of parts) {
      if (part === '..') {
        cur = cur.slice(0, cur.lastIndexOf('/'));
        continue;
      }
      const next = `${cur}/${part}`;
      const n = this.nodes.get(next);
      if (!n) return undefined;
      if (n.kind === 'link') {
        const target = n.to.startsWith('/') ? n.to : `${cur}/${n.to}`;
        const r = this.resolve(target, depth + 1);
        if (r === undefined) return undefined;
        cur = r === '/' ? '' : r;
      } else cur = next;
    }
    return cur === '' ? '/' : cur;
  }

  /** lstat(2). */
  lstat(p: string): ScriptStat | undefined {
    const dir = p.slice(0, p.lastIndexOf('/')) || '/';
    const base = p.slice(p.lastIndexOf('/') + 1);
    const rd = this.resolve(dir);
    const real = base === '' ? rd : rd === undefined ? undefined : `${rd === '/' ? '' : rd}/${base}`;
    const n = real === undefined ? undefined : this.nodes.get(real);
    return n && real ? this.statOf(real, n) : undefined;
  }

  /** stat(2). */
  stat(p: string): ScriptStat | undefined {
    const r = this.resolve(p);
    const n = r === undefined ? undefined : this.nodes.get(r);
    return n && r ? this.statOf(r, n) : undefined;
  }

  /** realpath(3). */
  realpath(p: string): { readonly path: string } | { readonly error: string } {
    const r = this.resolve(p);
    return r === undefined ? { error: 'No such file or directory' } : { path: r };
  }
}

/** A fake user database: name → [uid, gid], group name → gid. */
export function fakeScriptUsers(
  users: Readonly<Record<string, readonly [number, number]>>,
  groups: Readonly<Record<string, number>> = {},
  self = { uid: 0, gid: 0 },
): ScriptUsers {
  return {
    user: (n) => {
      const u = users[n];
      return u ? { uid: u[0], gid: u[1] } : undefined;
    },
    group: (n) => groups[n],
    self,
  };
}
