/** Test fixtures for the HTTP API: health, availability and VRRP views as the daemon would build them. */
import type { BgpView } from '../../src/control/bgp-views.js';
import type { AvailabilityView, HealthView } from '../../src/control/health-views.js';
import type { VrrpView } from '../../src/control/vrrp-views.js';

/** A health view: one service, one real server up with a last check, one never checked (NaN). */
export function healthView(): HealthView {
  return {
    now: 1000,
    services: [
      {
        id: 'TCP 192.0.2.10:80',
        quorumUp: true,
        since: 10,
        weightSum: 3,
        quorum: 1,
        hysteresis: 0,
        reals: [
          {
            addr: '198.51.100.1',
            port: 80,
            up: true,
            since: 10,
            weight: 3,
            configuredWeight: 3,
            message: 'connected',
            checkers: [
              {
                type: 'TCP_CHECK',
                up: true,
                since: 10,
                last: { ok: true, message: 'connected', durationMs: 1.5, at: 900 },
                nextAt: 1900,
              },
            ],
          },
          {
            addr: '198.51.100.2',
            port: 80,
            up: false,
            since: Number.NaN,
            weight: 0,
            configuredWeight: 7,
            message: 'connect timed out',
            checkers: [{ type: 'TCP_CHECK', up: false, since: Number.NaN, nextAt: 1500 }],
          },
        ],
      },
    ],
  };
}

/** An availability view with one service and its real server. */
export function availabilityView(): AvailabilityView {
  const row = {
    up: true,
    since: 10,
    observedMs: 990,
    upMs: 990,
    downMs: 0,
    failures: 0,
    uptimePct: 100,
    mtbfMs: Number.NaN,
    mttrMs: Number.NaN,
    availability: 1,
  };
  return {
    now: 1000,
    services: [
      { service: { subject: 'TCP 192.0.2.10:80', ...row }, reals: [{ subject: '198.51.100.1:80', ...row }] },
    ],
  };
}

/** A VRRP view with one MASTER instance. */
export function vrrpView(): VrrpView {
  return {
    now: 1000,
    instances: [
      {
        name: 'VI_1',
        vrid: 51,
        version: 2,
        af: 4,
        interface: 'eth0',
        state: 'MASTER',
        basePriority: 100,
        effectivePriority: 100,
        primaryAddr: '192.0.2.1',
        masterAddr: '192.0.2.1',
        advertIntMs: 1000,
        masterAdvertIntMs: 1000,
        since: 10,
        transitions: 2,
        advertsSent: 5,
        advertsReceived: 0,
        rxErrors: {},
        vips: ['192.0.2.10/32'],
      },
    ],
  };
}

/** A `--bgp` view: one VIP announced, one drained, a failed reload, BIRD's session row. */
export function bgpView(): BgpView {
  return {
    now: 1_700_000_010_000,
    include: '/etc/bird/lvs-vips.conf',
    socket: '/run/bird/bird.ctl',
    protocols: ['lvs_vips', 'lvs_vips6'],
    vips: [
      { prefix: '192.0.2.10/32', announce: true, services: ['TCP 192.0.2.10:80'] },
      {
        prefix: '192.0.2.11/32',
        announce: false,
        reason: 'drained (lvsadm --bgp-drain 192.0.2.11)',
        services: ['TCP 192.0.2.11:80'],
      },
    ],
    drainedAll: false,
    drained: ['192.0.2.11'],
    announced: ['192.0.2.10/32'],
    configuredAt: 1_700_000_000_000,
    pending: false,
    error: { code: 'ERR_LVS_BIRD_UNREACHABLE', message: 'no such socket', since: 1_700_000_005_000 },
    bird: [
      { name: 'router1', proto: 'BGP', table: '---', state: 'up', since: '10:00:00', info: 'Established' },
    ],
    birdAt: null,
  };
}
