/**
 * The health data `lvsadm --health` and `--availability` ask for, as plain JSON shapes: built by
 * src/health (views.ts), carried by the control protocol, formatted by lvsadm. Declared here,
 * below all three, so the protocol types them without importing the health layer.
 */

/** Availability figures of one real server or service; times in ms. */
export interface AvailabilityStats {
  /** Currently up. */
  readonly up: boolean;
  /** Start of observation (first recorded state), or NaN. */
  readonly since: number;
  readonly observedMs: number;
  readonly upMs: number;
  readonly downMs: number;
  readonly failures: number;
  readonly uptimePct: number;
  readonly mtbfMs: number;
  readonly mttrMs: number;
  /** MTBF / (MTBF + MTTR), 0..1. */
  readonly availability: number;
}

/** One checker in the health view. */
export interface CheckerView {
  readonly type: string;
  readonly up: boolean;
  readonly since: number;
  readonly last?: {
    readonly ok: boolean;
    readonly message: string;
    readonly durationMs: number;
    readonly at: number;
  };
  readonly nextAt: number;
}

/** One real server in the health view. */
export interface RealHealthView {
  readonly addr: string;
  readonly port: number;
  readonly up: boolean;
  readonly since: number;
  readonly weight: number;
  readonly configuredWeight: number;
  readonly message: string;
  readonly checkers: readonly CheckerView[];
}

/** One virtual service in the health view. */
export interface ServiceHealthView {
  readonly id: string;
  readonly quorumUp: boolean;
  readonly since: number;
  readonly weightSum: number;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly sorry?: { readonly addr: string; readonly port: number; readonly active: boolean };
  readonly reals: readonly RealHealthView[];
}

/** `lvsadm --health` data. */
export interface HealthView {
  readonly now: number;
  readonly services: readonly ServiceHealthView[];
}

/** One row of the availability view. */
export interface AvailabilityRow extends AvailabilityStats {
  /** Service id, or `addr:port` for a real server. */
  readonly subject: string;
}

/** `lvsadm --availability` data: each service followed by its real servers. */
export interface AvailabilityView {
  readonly now: number;
  readonly services: ReadonlyArray<{
    readonly service: AvailabilityRow;
    readonly reals: readonly AvailabilityRow[];
  }>;
}
