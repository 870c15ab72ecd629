/**
 * The dashboard's model: the API's services (GET /api/services), health (GET /api/health) and
 * availability (GET /api/availability) merged into one row per real server, keyed so the page
 * can patch rows in place. Pure: no DOM, no fetch.
 */

const PROTO = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

/** The health view's name of a service key (lvsd core/types.ts serviceKeyText). */
export function serviceText(key) {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark}${key.af === 6 ? ' IPv6' : ''}`;
  const a = key.af === 6 ? `[${key.addr}]` : key.addr;
  return `${PROTO[key.protocol] ?? 'TCP'} ${a}:${key.port}`;
}

/** `addr:port`, IPv6 bracketed (the API's real server id). */
export function hostPort(addr, port) {
  return `${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

/** Splits `addr:port` or `[addr]:port` (health events bracket every address) into the API id. */
export function normalizeReal(s) {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  return m ? hostPort(m[1], Number(m[2])) : s;
}

/** A row's state: DOWN when its checks fail, DRAINING at weight 0, else UP. */
export function rowState(row) {
  if (row.health && !row.health.up) return 'down';
  if (row.inTable && row.weight === 0) return 'draining';
  return 'up';
}

function healthIndex(health) {
  const byText = new Map();
  const byReal = new Map();
  for (const s of health?.services ?? []) {
    byText.set(s.id, s);
    for (const r of s.reals) {
      const id = hostPort(r.addr, r.port);
      if (!byReal.has(id)) byReal.set(id, s);
    }
  }
  return { byText, byReal };
}

function availabilityIndex(av) {
  const m = new Map();
  for (const s of av?.services ?? []) {
    m.set(s.service.subject, s.service);
    for (const r of s.reals) m.set(`${s.service.subject} ${r.subject}`, r);
  }
  return m;
}

/**
 * Services with their rows. A real server the health checker keeps but the table no longer has
 * (keepalived removes a failed one unless inhibit_on_failure) stays as a row, not in the table.
 */
export function buildModel(services, health, availability) {
  const hi = healthIndex(health);
  const ai = availabilityIndex(availability);
  const out = [];
  for (const s of services) {
    const text = serviceText(s.key);
    // A virtual_server_group is one health service for several keys: match those by real server.
    let hs = hi.byText.get(text);
    if (!hs) for (const d of s.dests) hs ??= hi.byReal.get(d.id);
    const rows = [];
    const seen = new Set();
    for (const d of s.dests) {
      seen.add(d.id);
      const hr = hs?.reals.find((r) => hostPort(r.addr, r.port) === d.id);
      rows.push({
        key: `${s.id} ${d.id}`,
        sid: s.id,
        rid: d.id,
        healthService: hs?.id,
        inTable: true,
        weight: d.weight,
        activeConns: d.activeConns,
        inactConns: d.inactConns,
        rates: d.rates,
        health: hr,
        avail: hs ? ai.get(`${hs.id} ${d.id}`) : undefined,
      });
    }
    for (const r of hs?.reals ?? []) {
      const id = hostPort(r.addr, r.port);
      if (seen.has(id)) continue;
      rows.push({
        key: `${s.id} ${id}`,
        sid: s.id,
        rid: id,
        healthService: hs.id,
        inTable: false,
        weight: undefined,
        activeConns: 0,
        inactConns: 0,
        rates: undefined,
        health: r,
        avail: ai.get(`${hs.id} ${id}`),
      });
    }
    for (const r of rows) r.state = rowState(r);
    out.push({
      id: s.id,
      text,
      scheduler: s.config.scheduler,
      rates: s.rates,
      healthService: hs?.id,
      quorumUp: hs?.quorumUp,
      avail: hs ? ai.get(hs.id) : undefined,
      rows,
    });
  }
  return out;
}
