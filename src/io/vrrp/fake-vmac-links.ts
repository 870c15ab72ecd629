/** An in-memory {@link VmacLinks} for tests: it records the macvlans that are up and can refuse to make them. */
import { VmacError, type VmacLinks, type VmacSpec } from './vmac-links.js';

/** Macvlans in a map; `failNext` makes the next `up` throw as `ip link add` would. */
export class FakeVmacLinks implements VmacLinks {
  /** The macvlans up now, by name. */
  readonly links = new Map<string, VmacSpec>();
  /** Every call in order, as `up NAME` / `down NAME`. */
  readonly calls: string[] = [];
  /** When set, the next `up` fails with this message. */
  failNext: string | undefined;

  /** Records `spec` as up, or throws the error set in `failNext`. */
  up(spec: VmacSpec): void {
    this.calls.push(`up ${spec.ifname}`);
    const fail = this.failNext;
    if (fail !== undefined) {
      this.failNext = undefined;
      throw new VmacError(fail);
    }
    this.links.set(spec.ifname, spec);
  }

  /** Forgets `ifname`. */
  down(ifname: string): void {
    this.calls.push(`down ${ifname}`);
    this.links.delete(ifname);
  }
}
