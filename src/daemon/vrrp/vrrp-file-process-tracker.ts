/**
 * The runner's `track_file` and `vrrp_track_process` state: it writes `init_file` values at start,
 * re-reads every tracked file and scans the processes once per poll (default 1 s; keepalived
 * reacts at once through inotify and the proc connector), applies fork/terminate delays on their
 * own timers, and calls `onChange` when a value or a quorum changed so the runner recomputes
 * priorities. The arithmetic is pure (src/vrrp/vrrp-track-file.ts, vrrp-track-process.ts).
 */
import type { VrrpModel, VrrpTrackFile, VrrpTrackProcess } from '../../config/model.js';
import type { Clock } from '../../health/runner.js';
import type { VrrpTrackBinding } from '../../vrrp/vrrp-config.js';
import type { TrackedObject } from '../../vrrp/vrrp-track.js';
import { parseTrackFileValue, type TrackFileEffect, trackFileEffect } from '../../vrrp/vrrp-track-file.js';
import { ProcessQuorum, processMatches } from '../../vrrp/vrrp-track-process.js';
import type { VrrpTrackIo } from './vrrp-track-io.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

interface FileRt {
  readonly spec: VrrpTrackFile;
  value: number;
}
interface ProcRt {
  readonly spec: VrrpTrackProcess;
  readonly key: string;
  readonly q: ProcessQuorum;
}

/** What the tracked files and processes contribute to one instance. */
export interface FileProcessTracking {
  readonly tracked: TrackedObject[];
  readonly effects: TrackFileEffect[];
}

/** Tracked files and processes of one configuration, polled. */
export class VrrpFileProcessTracker {
  #files = new Map<string, FileRt>();
  #procs = new Map<string, ProcRt>();
  #timer: unknown;
  #started = false;
  #warned = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly io: VrrpTrackIo,
    private readonly onChange: () => void,
    private readonly log: Log = () => {},
    private readonly pollMs = 1000,
  ) {}

  /**
   * Takes the configuration's blocks: a file keeps its last value, a process whose block is
   * unchanged keeps its quorum. `init_file` creates a missing file, and `overwrite` rewrites an
   * existing one at the first start only: keepalived does not overwrite on reload
   * (track_file.c track_file_end_handler()).
   */
  update(v: VrrpModel): void {
    const first = !this.#started;
    this.#started = true;
    const files = new Map<string, FileRt>();
    for (const f of v.trackFiles ?? []) {
      if (files.has(f.name)) continue; // references find the first of a name
      if (f.init && (!this.io.exists(f.path) || (first && f.init.overwrite)))
        try {
          this.io.writeFile(f.path, `${f.init.value}\n`);
        } catch (e) {
          this.log(
            'warn',
            `Unable to initialise track file ${f.name}: ${e instanceof Error ? e.message : e}`,
          );
        }
      const old = this.#files.get(f.name);
      files.set(f.name, { spec: f, value: old?.spec.path === f.path ? old.value : this.#read(f.path, 0) });
    }
    this.#files = files;
    const procs = new Map<string, ProcRt>();
    const specs = v.trackProcesses ?? [];
    const table = specs.length > 0 ? this.io.processes(specs.some((p) => p.fullCommand)) : [];
    for (const p of specs) {
      if (procs.has(p.name)) continue;
      const key = JSON.stringify({ ...p, file: 0, line: 0 });
      const old = this.#procs.get(p.name);
      if (old && old.key === key) procs.set(p.name, old);
      else {
        const n = table.filter((e) => processMatches(p, e)).length;
        const q = new ProcessQuorum(p.quorum, p.quorumMax, p.forkDelay, p.terminateDelay, n);
        procs.set(p.name, { spec: p, key, q });
      }
    }
    this.#procs = procs;
    for (const vi of v.instances)
      if ((vi.extra.track_bfd?.length ?? 0) > 0 && !this.#warned.has(vi.name)) {
        this.#warned.add(vi.name);
        this.log(
          'warn',
          `(${vi.name}) track_bfd is not supported (it needs keepalived's BFD process): ignored`,
        );
      }
    this.#arm();
  }

  /** What `tracks` (an instance's bindings) get from files and processes. */
  tracking(tracks: readonly VrrpTrackBinding[]): FileProcessTracking {
    const tracked: TrackedObject[] = [];
    const effects: TrackFileEffect[] = [];
    for (const t of tracks) {
      if (t.kind === 'file') {
        const f = this.#files.get(t.name);
        if (f) effects.push(trackFileEffect(f.value, t.weight, t.reverse));
      } else if (t.kind === 'process') {
        const p = this.#procs.get(t.name);
        if (p) tracked.push({ up: p.q.up, weight: t.weight, reverse: t.reverse });
      }
    }
    return { tracked, effects };
  }

  /** Stops polling. */
  stop(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#started = false;
  }

  /** A file's value: absent or unreadable reads 0, an out-of-range number keeps `prev`. */
  #read(path: string, prev: number): number {
    const text = this.io.readFile(path);
    if (text === undefined) return 0;
    const v = parseTrackFileValue(text);
    if (v === undefined) this.log('info', `Invalid number read from ${path} - ignoring`);
    return v ?? prev;
  }

  #arm(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    if (this.#files.size === 0 && this.#procs.size === 0) return;
    const now = this.clock.now();
    let wait = this.pollMs;
    for (const p of this.#procs.values()) {
      const d = p.q.deadline;
      if (d !== undefined) wait = Math.min(wait, Math.max(0, d - now));
    }
    this.#timer = this.clock.setTimer(() => this.#poll(), wait);
  }

  #poll(): void {
    this.#timer = undefined;
    if (!this.#started) return;
    const now = this.clock.now();
    let changed = false;
    for (const f of this.#files.values()) {
      const v = this.#read(f.spec.path, f.value);
      if (v !== f.value) [f.value, changed] = [v, true];
    }
    if (this.#procs.size > 0) {
      const table = this.io.processes([...this.#procs.values()].some((p) => p.spec.fullCommand));
      for (const p of this.#procs.values()) {
        const n = table.filter((e) => processMatches(p.spec, e)).length;
        if (p.q.observe(n, now)) {
          changed = true;
          this.log('info', `Quorum ${p.q.up ? 'gained' : 'lost'} for tracked process ${p.spec.name}`);
        }
      }
    }
    this.#arm();
    if (changed) this.onChange();
  }
}
