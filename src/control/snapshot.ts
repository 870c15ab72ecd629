/** Builds the read-side views of the service table (what listings and the API show). */
import type { Dest } from '../core/dest.js';
import type { Service } from '../core/service.js';
import type { ServiceTable } from '../core/service-table.js';
import type { DestView, ServiceView } from './views.js';

/** The view of one destination. */
export function destView(d: Dest): DestView {
  // Field by field rather than spreading d.config(): one object of a fixed shape per real server,
  // which a listing of 10,000 real servers (and each /metrics scrape) builds some 30 times faster
  // (bench/metrics-scrape.ts).
  return {
    addr: d.addr,
    port: d.port,
    af: d.af,
    fwd: d.fwd,
    weight: d.weight,
    uThreshold: d.uThreshold,
    lThreshold: d.lThreshold,
    tunType: d.tunType,
    tunPort: d.tunPort,
    tunFlags: d.tunFlags,
    proxyProtocol: d.proxyProtocol,
    activeConns: d.activeConns,
    inactConns: d.inactConns,
    persistConns: d.persistConns,
    stats: d.stats.view(),
    rates: d.stats.rates(),
  };
}

/** The view of one service with its dests in list order. */
export function serviceView(s: Service): ServiceView {
  return {
    key: s.key,
    config: s.config,
    stats: s.stats.view(),
    rates: s.stats.rates(),
    dests: s.dests.map(destView),
    ...(s.laddrs.length > 0 ? { laddrs: [...s.laddrs] } : {}),
  };
}

/** Views of all services in kernel enumeration order (what `--nosort` lists). */
export function serviceViews(table: ServiceTable): ServiceView[] {
  return table.enumerate().map(serviceView);
}
