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
 * old ones written back on close.
 */
import { readFileSync, writeFileSync } from 'node:fs';

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

  constructor(
    private readonly files: SysfsFiles = realSysfs,
    private readonly root = '/sys/class/net',
  ) {}

  /**
   * Writes the values for `ifname`, remembering the old ones. Returns an error text when the
   * kernel refused (the socket still works, its receive work is then not deferred), else undefined.
   */
  apply(ifname: string, v: NapiDeferralValues = NAPI_DEFERRAL_DEFAULTS): string | undefined {
    const want = [String(v.deferHardIrqs), String(v.groFlushTimeoutNs)];
    for (let k = 0; k < KEYS.length; k++) {
      const path = `${this.root}/${ifname}/${KEYS[k]}`;
      try {
        const old = this.files.read(path).trim();
        if (old === want[k]) continue;
        this.files.write(path, want[k] as string);
        this.saved.push({ path, value: old });
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
  }
}
