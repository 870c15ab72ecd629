/**
 * The interface half of preferred busy polling: `napi_defer_hard_irqs` and `gro_flush_timeout`
 * of a network device (Documentation/networking/napi.rst, "Preferred busy polling"; sysfs
 * /sys/class/net/IF/). With both non-zero, a NAPI instance that a busy-polling socket left
 * (net/core/dev.c busy_poll_stop) or that completed with work (napi_complete_done) is not
 * re-armed by the next interrupt (veth: the peer's xmit, veth_poll's rx_notify_masked) but by a
 * timer `gro_flush_timeout` ns later, `napi_defer_hard_irqs` times in a row. The kernel's receive
 * work then runs at most once per timeout while lvsd busy-polls, instead of ahead of it.
 *
 * The values are the host's: they are applied per interface while the AF_XDP path runs and the
 * old ones written back on close. The old ones are also recorded in a file under /run (keyed by
 * the network namespace and the interface) before anything is written, because a SIGKILLed lvsd
 * runs no close: the next lvsd on that interface finds the record of a process that is gone,
 * takes its originals as the values to restore, and writes them back (recoverStale()) when it
 * does not defer itself.
 */
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The sysfs reads and writes NapiDeferral makes (a fake in tests). */
export interface SysfsFiles {
  read(path: string): string;
  write(path: string, value: string): void;
}

/** The real /sys. */
export const realSysfs: SysfsFiles = {
  read: (path) => readFileSync(path, 'utf8'),
  write: (path, value) => writeFileSync(path, value),
};

/** A record of the values an interface had before an lvsd changed them. */
export interface DeferralRecord {
  /** The process that changed them. */
  readonly pid: number;
  /** sysfs file name (napi_defer_hard_irqs, gro_flush_timeout) to its original value. */
  readonly values: Readonly<Record<string, string>>;
}

/** Where the originals are kept across a process's death (a fake in tests). */
export interface DeferralRecords {
  load(ifname: string): DeferralRecord | undefined;
  save(ifname: string, r: DeferralRecord): void;
  remove(ifname: string): void;
  /** Whether process `pid` is still running. */
  alive(pid: number): boolean;
}

/** Directory of the real records: /run is cleared at boot, as the sysfs values are. */
export const DEFERRAL_RECORD_DIR = '/run/lvs-ts/napi-deferral';

/**
 * Records in `dir`, one JSON file per (network namespace, interface): interface names repeat
 * across namespaces, which share /run. Errors reading are "no record"; errors writing are
 * ignored (the deferral still works, it is only not recoverable after a SIGKILL).
 */
export function fileRecords(dir = DEFERRAL_RECORD_DIR): DeferralRecords {
  let ns = 'unknown';
  try {
    ns = String(statSync('/proc/self/ns/net').ino);
  } catch {
    /* no procfs: one namespace assumed */
  }
  const path = (ifname: string) => join(dir, `${ns}-${ifname}.json`);
  return {
    load(ifname) {
      try {
        const r = JSON.parse(readFileSync(path(ifname), 'utf8')) as DeferralRecord;
        return typeof r.pid === 'number' && r.values && typeof r.values === 'object' ? r : undefined;
      } catch {
        return undefined;
      }
    },
    save(ifname, r) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const p = path(ifname);
        writeFileSync(`${p}.tmp`, JSON.stringify(r), { mode: 0o600 });
        renameSync(`${p}.tmp`, p);
      } catch {
        /* not recoverable after a SIGKILL; the deferral itself still works */
      }
    },
    remove(ifname) {
      try {
        unlinkSync(path(ifname));
      } catch {
        /* already gone */
      }
    },
    alive(pid) {
      // A zombie (state Z: killed, not yet reaped by its parent) is dead for this purpose.
      try {
        return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    },
  };
}

/** What NapiDeferral writes. */
export interface NapiDeferralValues {
  /** Deferred re-arms in a row (kernel default 0: off). */
  readonly deferHardIrqs: number;
  /** The re-arm timer, ns (kernel default 0: off). */
  readonly groFlushTimeoutNs: number;
}

/**
 * Defaults: 2 deferrals and 200 µs, the values of the kernel's napi.rst example; under load a
 * frame waits at most one timeout for the kernel when lvsd is not polling, and when the traffic
 * stops the deferrals run out and interrupts come back.
 */
export const NAPI_DEFERRAL_DEFAULTS: NapiDeferralValues = { deferHardIrqs: 2, groFlushTimeoutNs: 200_000 };

const KEYS = ['napi_defer_hard_irqs', 'gro_flush_timeout'] as const;

/** Applied deferral settings of some interfaces, restorable. */
export class NapiDeferral {
  private readonly saved: { path: string; value: string }[] = [];
  private readonly recorded: string[] = [];

  constructor(
    private readonly files: SysfsFiles = realSysfs,
    private readonly root = '/sys/class/net',
    private readonly records: DeferralRecords = fileRecords(),
    private readonly pid = process.pid,
  ) {}

  /** The record a dead process left for `ifname`, if any (one of a live process is not stale). */
  private stale(ifname: string): DeferralRecord | undefined {
    const r = this.records.load(ifname);
    return r && (r.pid === this.pid || !this.records.alive(r.pid)) ? r : undefined;
  }

  /**
   * Writes back the values a dead lvsd recorded for `ifname` and removes its record; returns the
   * files restored (empty when there was nothing to recover). For an lvsd that will not defer
   * `ifname` itself; apply() adopts such a record instead.
   */
  recoverStale(ifname: string): string[] {
    const r = this.stale(ifname);
    if (!r) return [];
    const done: string[] = [];
    for (const k of KEYS) {
      const v = r.values[k];
      if (v === undefined) continue;
      try {
        this.files.write(`${this.root}/${ifname}/${k}`, v);
        done.push(k);
      } catch {
        /* interface gone or refused: nothing more to do */
      }
    }
    this.records.remove(ifname);
    return done;
  }

  /**
   * Writes the values for `ifname`, remembering the old ones. Returns an error text when the
   * kernel refused (the socket still works, its receive work is then not deferred), else undefined.
   */
  apply(ifname: string, v: NapiDeferralValues = NAPI_DEFERRAL_DEFAULTS): string | undefined {
    const want = [String(v.deferHardIrqs), String(v.groFlushTimeoutNs)];
    // A dead lvsd's values are not the originals: its record holds those.
    const prior = this.stale(ifname);
    const originals: Record<string, string> = {};
    for (const k of KEYS) {
      const path = `${this.root}/${ifname}/${k}`;
      try {
        originals[k] = prior?.values[k] ?? this.files.read(path).trim();
      } catch (e) {
        return `${path}: ${(e as Error).message}`;
      }
    }
    const changes = KEYS.map((k, i) => ({ k, want: want[i] as string, old: originals[k] as string })).filter(
      (c) => c.old !== c.want,
    );
    if (changes.length > 0) {
      // Recorded before the first write, so a SIGKILL at any point leaves the originals findable.
      this.records.save(ifname, {
        pid: this.pid,
        values: Object.fromEntries(changes.map((c) => [c.k, c.old])),
      });
      this.recorded.push(ifname);
    } else if (prior) this.records.remove(ifname);
    for (const c of changes) {
      const path = `${this.root}/${ifname}/${c.k}`;
      try {
        if (this.files.read(path).trim() !== c.want) this.files.write(path, c.want);
        this.saved.push({ path, value: c.old });
      } catch (e) {
        return `${path}: ${(e as Error).message}`;
      }
    }
    return undefined;
  }

  /** Writes back every value apply() changed (newest first); errors are ignored (the device may be gone). */
  restore(): void {
    for (const s of this.saved.splice(0).reverse()) {
      try {
        this.files.write(s.path, s.value);
      } catch {
        /* interface gone */
      }
    }
    for (const i of this.recorded.splice(0)) this.records.remove(i);
  }
}
