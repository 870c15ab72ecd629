/**
 * `lvsadm lab status` with no mode: every lab that is up on this machine, whatever its
 * LVS_LAB_PREFIX, found from the namespace names (`<prefix>-<mode>-<host>`, plan.ts) and joined
 * with each lab's state directory (`<root>/<prefix>-<mode>`, topology.ts).
 */
import { spawnSync } from 'node:child_process';
import { CLUSTER_MODE, HA_MODE, LAB_MODES, type LabMode } from './plan.js';
import { LAB_STATE_ROOT, type LabState, readLabState } from './topology.js';

/** One lab found up. */
export interface LabUp {
  readonly prefix: string;
  readonly mode: LabMode;
  readonly namespaces: readonly string[];
  /** Its state file, when it lives under the root looked at. */
  readonly state?: LabState;
}

const HOSTS = [
  'client',
  'director',
  'director1',
  'director2',
  'director3',
  'director4',
  'rs1',
  'rs2',
  'rs3',
  'rs4',
  'sw',
  'router',
];
const NAME = new RegExp(
  `^([a-z0-9][a-z0-9-]*)-(${[...LAB_MODES, HA_MODE, CLUSTER_MODE].join('|')})-(${HOSTS.join('|')})$`,
);

/** Groups namespace names into labs (pure: the parsing half of {@link listLabs}). */
export function labsOfNamespaces(
  names: readonly string[],
): { prefix: string; mode: LabMode; namespaces: string[] }[] {
  const labs = new Map<string, { prefix: string; mode: LabMode; namespaces: string[] }>();
  for (const n of names) {
    const m = NAME.exec(n);
    if (!m) continue;
    const key = `${m[1]}-${m[2]}`;
    let l = labs.get(key);
    if (!l) {
      l = { prefix: m[1]!, mode: m[2] as LabMode, namespaces: [] };
      labs.set(key, l);
    }
    l.namespaces.push(n);
  }
  return [...labs.values()].sort((a, b) => `${a.prefix} ${a.mode}`.localeCompare(`${b.prefix} ${b.mode}`));
}

/** Every lab with a namespace present, with its state from `root` when there is one. */
export function listLabs(root = LAB_STATE_ROOT): LabUp[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 15_000 });
  const names = (r.stdout ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
  return labsOfNamespaces(names).map((l) => {
    const state = readLabState(l.mode, root, l.prefix);
    return { ...l, ...(state ? { state } : {}) };
  });
}

/** The listing `lab status` prints: one line per lab, with the prefix to reach it by. */
export function formatLabList(labs: readonly LabUp[], currentPrefix: string): string {
  if (labs.length === 0) return 'no lab is up\n';
  return labs
    .map((l) => {
      const how = l.prefix === currentPrefix ? '' : `  (LVS_LAB_PREFIX=${l.prefix})`;
      const dir = l.state ? `director ${l.state.director}` : 'no state file here';
      return `lab ${l.mode}: up, prefix ${l.prefix}, ${dir}, ${l.namespaces.length} namespaces${how}\n`;
    })
    .join('');
}
