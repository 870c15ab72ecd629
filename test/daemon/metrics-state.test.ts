/**
 * The health, availability, VRRP and event families follow state: a real server going DOWN, a
 * VRRP instance becoming MASTER, a refused reload and a data-plane fault each change what the
 * next scrape says. The source is a stand-in answering the same queries the daemon answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  dataplaneFaultChannel,
  healthTransitionChannel,
  reloadChannel,
  vrrpTransitionChannel,
} from '../../src/control/channels.js';
import type { Query } from '../../src/control/commands.js';
import type { HealthView } from '../../src/control/health-views.js';
import { NO_HEALTH_CODE, type QueryResult, type StatusView } from '../../src/control/protocol.js';
import type { VrrpView } from '../../src/control/vrrp-views.js';
import { LvsError } from '../../src/core/errors.js';
import { Exposition, labelText } from '../../src/daemon/metrics/exposition.js';
import { createMetrics } from '../../src/daemon/metrics/metrics.js';
import { parseExposition, sampleNumber, seriesValue } from '../helpers/http-routes.js';

function health(up: boolean, ok: boolean): HealthView {
  return {
    now: 1000,
    services: [
      {
        id: 'TCP 192.0.2.10:80',
        quorumUp: up,
        since: 0,
        weightSum: up ? 1 : 0,
        quorum: 1,
        hysteresis: 0,
        reals: [
          {
            addr: '198.51.100.1',
            port: 80,
            up,
            since: 0,
            weight: up ? 1 : 0,
            configuredWeight: 1,
            message: ok ? 'ok' : 'connect timed out',
            checkers: [
              {
                type: 'TCP_CHECK',
                up,
                since: 0,
                last: { ok, message: '', durationMs: 250, at: 900 },
                nextAt: 2000,
              },
            ],
          },
        ],
      },
    ],
  };
}

function vrrp(state: string, rxErrors: Record<string, number>): VrrpView {
  return {
    now: 1000,
    instances: [
      {
        name: 'VI_1',
        vrid: 51,
        version: 2,
        af: 4,
        interface: 'eth0',
        state,
        basePriority: 100,
        effectivePriority: 90,
        primaryAddr: '192.0.2.1',
        advertIntMs: 1000,
        masterAdvertIntMs: 1000,
        since: 0,
        transitions: state === 'MASTER' ? 2 : 1,
        advertsSent: 3,
        advertsReceived: 4,
        rxErrors,
        vips: ['192.0.2.10'],
      },
    ],
  };
}

const STATUS: StatusView = {
  version: '0.1.0',
  pid: 1,
  uptimeMs: 1,
  dataplane: 'packet',
  connTabSize: 4096,
  services: 0,
  vips: [],
  totals: { conns: 1, inpkts: 2, outpkts: 3, inbytes: 4, outbytes: 5 },
  plane: {
    drops: { no_service: 7, malformed_short: 2 },
    interfaces: [{ name: 'eth0', rxFrames: 10, rxBytes: 600, txFrames: 9, txBytes: 540, txDropped: 1 }],
    xdp: [{ name: 'eth0', counters: { rxDropped: 3, rxRingFull: 1, freeChunks: 2048 } }],
  },
  sync: [{ state: 'master', datagrams: 12, queueDrops: 2, errors: 0 }],
};

test('health, availability, VRRP, data-plane and event families change when state changes', async () => {
  let h = health(true, true);
  let v = vrrp('BACKUP', {});
  const source = {
    query(q: Query): QueryResult {
      switch (q.q) {
        case 'status':
          return { q: 'status', status: STATUS };
        case 'list':
          return { q: 'list', snapshot: { connTabSize: 4096, services: [] } };
        case 'health':
          return { q: 'health', health: h };
        case 'vrrp':
          return { q: 'vrrp', vrrp: v };
        default:
          throw new LvsError(NO_HEALTH_CODE, 'none');
      }
    },
  };
  const metrics = createMetrics(source, { processMetrics: false });
  try {
    const rs = { service: 'TCP 192.0.2.10:80', real_server: '198.51.100.1:80' };
    const vi = { iname: 'VI_1', intf: 'eth0', vrid: '51' };
    let m = parseExposition(await metrics.render());
    assert.equal(seriesValue(m, 'lvs_real_server_up', rs), 1);
    assert.equal(seriesValue(m, 'lvs_real_server_check_success', { ...rs, checker: 'TCP_CHECK' }), 1);
    assert.equal(seriesValue(m, 'lvs_real_server_check_duration_seconds', rs), 0.25);
    assert.equal(seriesValue(m, 'lvs_service_quorum_up', { service: rs.service }), 1);
    assert.equal(seriesValue(m, 'lvs_vrrp_state', vi), 1);
    assert.equal(m.has('lvs_vrrp_receive_errors_total'), false);
    // No availability answer: no availability families, and the scrape still succeeds.
    assert.equal(m.has('lvs_real_server_availability_ratio'), false);
    // Status counters: totals, drops by reason, interface and ring counters, sync.
    assert.equal(seriesValue(m, 'node_ipvs_outgoing_bytes_total'), 5);
    assert.equal(seriesValue(m, 'lvs_dataplane_drops_total', { reason: 'no_service' }), 7);
    assert.equal(seriesValue(m, 'lvs_packet_interface_tx_dropped_total', { interface: 'eth0' }), 1);
    assert.equal(seriesValue(m, 'lvs_xdp_ring_events_total', { event: 'rx_ring_full' }), 1);
    assert.equal(seriesValue(m, 'lvs_xdp_free_chunks', { interface: 'eth0' }), 2048);
    assert.equal(seriesValue(m, 'lvs_sync_queue_drops_total', { role: 'master' }), 2);

    h = health(false, false);
    v = vrrp('MASTER', { VRRP_RX_TTL: 3 });
    healthTransitionChannel.publish({
      source: {},
      svc: rs.service,
      rs: rs.real_server,
      up: false,
      at: 1,
      message: 'x',
    });
    vrrpTransitionChannel.publish({
      source: {},
      instance: 'VI_1',
      from: 'BACKUP',
      to: 'MASTER',
      priority: 90,
      at: 1,
    });
    vrrpTransitionChannel.publish({
      source: {},
      instance: 'VI_1',
      from: 'MASTER',
      to: 'BACKUP',
      priority: 90,
      at: 2,
    });
    reloadChannel.publish({ phase: 'failed', source: {}, file: 'k.conf', findings: [] });
    dataplaneFaultChannel.publish({ source: {}, plane: 'packet', code: 'packet-socket-error' });

    m = parseExposition(await metrics.render());
    assert.equal(seriesValue(m, 'lvs_real_server_up', rs), 0);
    assert.equal(seriesValue(m, 'lvs_real_server_check_success', rs), 0);
    assert.equal(seriesValue(m, 'lvs_service_quorum_up', { service: rs.service }), 0);
    assert.equal(seriesValue(m, 'lvs_vrrp_state', vi), 2);
    assert.equal(seriesValue(m, 'lvs_vrrp_receive_errors_total', { ...vi, reason: 'VRRP_RX_TTL' }), 3);
    assert.equal(seriesValue(m, 'lvs_health_transitions_total', { ...rs, state: 'down' }), 1);
    assert.equal(seriesValue(m, 'lvs_vrrp_state_changes_total', { iname: 'VI_1', state: 'MASTER' }), 1);
    assert.equal(seriesValue(m, 'lvs_vrrp_release_master_total', { iname: 'VI_1' }), 1);
    assert.equal(seriesValue(m, 'lvs_config_reloads_total', { result: 'failure' }), 1);
    assert.equal(seriesValue(m, 'lvs_config_last_reload_successful'), 0);
    assert.equal(seriesValue(m, 'lvs_dataplane_faults_total', { code: 'packet-socket-error' }), 1);
  } finally {
    metrics.close();
  }
  // Closed metrics count nothing more and their subscriptions are gone.
  assert.equal(reloadChannel.hasSubscribers, false);
});

test('any label value and sample value round-trips through the exposition and a Prometheus parser', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40, unit: 'grapheme' }),
      fc.oneof(fc.integer(), fc.double({ noDefaultInfinity: false })),
      (label, value) => {
        const out = new Exposition();
        out.family('lvs_x', 'gauge', 'help with \\ and\nnewline');
        out.sample('lvs_x', labelText({ a: label, b: 'y' }), value);
        const f = parseExposition(out.text()).get('lvs_x');
        assert.equal(f?.metrics[0]?.labels?.a, label);
        const got = sampleNumber(f?.metrics[0]?.value ?? '');
        if (Number.isNaN(value)) assert.ok(Number.isNaN(got));
        else assert.equal(got, value === 0 ? 0 : value);
      },
    ),
    { numRuns: 1000 },
  );
});
