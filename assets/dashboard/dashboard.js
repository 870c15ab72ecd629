/**
 * lvsd's live dashboard: loads the API's reads once, then follows /api/events?stats=1 (table,
 * health and VRRP events, and a stats event every 2 s) and patches the page in place. Drain and
 * undrain send the operator's bearer token, kept in this tab's sessionStorage only.
 *
 * `window.lvsDashboard` exposes the page's own timings (how long each stats event and each model
 * refresh took to apply) so a test or an operator can see what an update costs.
 */

import { TIMELINE_MIN_S, TIMELINE_S } from './charts.js';
import { clock, duration } from './format.js';
import { buildModel, normalizeReal } from './model.js';
import { ServiceView } from './render.js';

const TOKEN_KEY = 'lvsd.token';
const $ = (id) => document.getElementById(id);
const origin = Date.now();
const services = new Map();
let skew = 0;
let lastEventId = 0;

const perf = { statsApplyMs: [], statsFrameMs: [], refreshMs: [], statsEvents: 0, refreshes: 0 };
const dash = { ready: false, live: false, perf };
window.lvsDashboard = dash;

function keep(list, v) {
  list.push(v);
  if (list.length > 200) list.shift();
}

const serverNow = () => Date.now() + skew;
/** Seconds the health timelines show. */
let span = TIMELINE_S;

/** Moves every timeline to now: the last 10 minutes, or all that is known when lvsd is younger. */
function scrollTimelines() {
  const now = serverNow();
  let first;
  for (const v of services.values()) {
    const t = v.first();
    if (t !== undefined && (first === undefined || t < first)) first = t;
  }
  span =
    first === undefined ? TIMELINE_S : Math.min(TIMELINE_S, Math.max(TIMELINE_MIN_S, (now - first) / 1000));
  for (const v of services.values()) v.scroll(now, span);
  $('timeline-span').textContent = duration(span * 1000);
}

function showError(text) {
  const e = $('error');
  e.hidden = !text;
  e.textContent = text ?? '';
}

// Reads answered 404 once (no health checks, no VRRP: lvsd runs them only from --config at start)
// are not asked again until the page is reloaded.
const absent = new Set();

async function getJson(path, optional) {
  if (absent.has(path)) return undefined;
  const r = await fetch(path, { cache: 'no-store' });
  if (r.ok) return r.json();
  if (optional && r.status === 404) {
    absent.add(path);
    return undefined;
  }
  let code = '';
  try {
    code = (await r.json()).code;
  } catch {}
  throw new Error(`${path}: HTTP ${r.status} ${code}`);
}

async function refreshStatus() {
  const st = await getJson('/api/status');
  $('status').textContent =
    `lvs-ts ${st.version} · ${st.dataplane} plane · pid ${st.pid} · up ${duration(st.uptimeMs)}`;
}

// ---- token ----
function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}
function paintToken(note) {
  $('token-state').textContent = note ?? (token() ? 'token set for this tab' : 'no token: drain is disabled');
}
$('token-save').addEventListener('click', () => {
  const v = $('token').value.trim();
  if (v) sessionStorage.setItem(TOKEN_KEY, v);
  $('token').value = '';
  paintToken();
});
$('token-forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  paintToken();
});

async function act(row, action, button) {
  const t = token();
  if (!t) {
    paintToken('enter the API token first');
    $('token').focus();
    return;
  }
  button.disabled = true;
  try {
    const url = `/api/services/${encodeURIComponent(row.sid)}/dests/${encodeURIComponent(row.rid)}/${action}`;
    const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    if (!r.ok) {
      let body = {};
      try {
        body = await r.json();
      } catch {}
      showError(`${action} ${row.rid}: ${r.status} ${body.code ?? ''} ${body.message ?? ''}`);
      if (r.status === 401) paintToken('the token was refused');
    } else showError('');
  } catch (e) {
    showError(`${action} ${row.rid}: ${e.message}`);
  } finally {
    button.disabled = !row.inTable;
  }
}

// Only rows in (or near) view redraw their charts on each stats event: at 200 real servers most
// rows are scrolled away, and their samples are kept for when they come back.
const observer = new IntersectionObserver(
  (entries) => {
    for (const e of entries) {
      const row = e.target.lvsRow;
      if (!row) continue;
      if (e.isIntersecting) row.show(serverNow(), span);
      else row.visible = false;
    }
  },
  { rootMargin: '200px 0px' },
);
const ctx = { origin, onAction: act, observer };

// ---- services ----
let current = { services: [], health: undefined, availability: undefined };

function reconcile() {
  const t0 = performance.now();
  const model = buildModel(current.services, current.health, current.availability);
  const box = $('services');
  const keepIds = new Set();
  let prev = null;
  for (const svc of model) {
    keepIds.add(svc.id);
    let v = services.get(svc.id);
    if (v) v.update(svc);
    else {
      v = new ServiceView(svc, ctx);
      services.set(svc.id, v);
    }
    const want = prev ? prev.nextSibling : box.firstChild;
    if (want !== v.root) box.insertBefore(v.root, want);
    prev = v.root;
  }
  for (const [id, v] of services)
    if (!keepIds.has(id)) {
      v.root.remove();
      services.delete(id);
    }
  const rows = model.reduce((n, s) => n + s.rows.length, 0);
  $('svc-count').textContent = `${model.length} service(s), ${rows} real server(s)`;
  scrollTimelines();
  keep(perf.refreshMs, performance.now() - t0);
  perf.refreshes++;
}

async function refreshTable() {
  const [list, health, availability] = await Promise.all([
    getJson('/api/services'),
    getJson('/api/health', true),
    getJson('/api/availability', true),
  ]);
  current = { services: list.services, health, availability };
  if (health) skew = health.now - Date.now();
  reconcile();
}

// Several changes in a burst (a reload applies many commands) make one refresh.
let pending;
function soon(ms = 100) {
  if (pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    refreshTable().catch((e) => showError(e.message));
  }, ms);
}

// ---- VRRP ----
async function refreshVrrp() {
  const v = await getJson('/api/vrrp', true);
  const sec = $('vrrp-section');
  sec.hidden = !v || v.instances.length === 0;
  if (!v) return;
  const body = $('vrrp').tBodies[0];
  body.replaceChildren(
    ...v.instances.map((i) => {
      const tr = document.createElement('tr');
      const cells = [
        i.name,
        i.state,
        i.vrid,
        i.interface,
        i.effectivePriority === i.basePriority
          ? i.basePriority
          : `${i.effectivePriority} (base ${i.basePriority})`,
        i.masterAddr ?? '-',
        duration(v.now - i.since),
        i.vips.join(' '),
      ];
      for (const [n, c] of cells.entries()) {
        const td = document.createElement('td');
        if (n === 1) {
          const s = document.createElement('span');
          s.className = `state ${c}`;
          s.textContent = c;
          td.append(s);
        } else td.textContent = String(c);
        tr.append(td);
      }
      return tr;
    }),
  );
}

// ---- events ----
function describe(type, d) {
  if (type === 'health')
    return `${d.service}${d.real ? ` ${normalizeReal(d.real)}` : ' (quorum)'} ${d.up ? 'UP' : 'DOWN'}: ${d.message}`;
  if (type === 'vrrp') return `VRRP ${d.instance} ${d.from} → ${d.to} (priority ${d.priority})`;
  const dest = d.command?.dest ? ` ${d.command.dest.addr}:${d.command.dest.port}` : '';
  const w = d.command?.dest?.weight !== undefined ? ` weight ${d.command.dest.weight}` : '';
  return `${d.op}${d.serviceText ? ` ${d.serviceText}` : ''}${dest}${w} (via ${d.origin})`;
}

function logEvent(id, type, d) {
  if (id <= lastEventId) return;
  lastEventId = id;
  const li = document.createElement('li');
  li.className = type === 'health' ? `health-${d.up ? 'up' : 'down'}` : type;
  const t = document.createElement('time');
  t.textContent = clock(d.at);
  li.append(t, describe(type, d));
  const list = $('events');
  list.prepend(li);
  while (list.childElementCount > 100) list.lastElementChild.remove();
}

function findRows(d) {
  const rid = normalizeReal(d.real);
  const out = [];
  for (const v of services.values())
    for (const r of v.rows.values())
      if (r.row.rid === rid && (!r.row.healthService || r.row.healthService === d.service)) out.push(r);
  return out;
}

function onHealth(id, d, replay) {
  logEvent(id, 'health', d);
  if (d.real === undefined) return;
  for (const r of findRows(d)) r.health(d.up, d.at, d.message);
  if (!replay) soon(300);
}

// ---- stream ----
let es;
function connect() {
  es = new EventSource('/api/events?stats=1');
  es.addEventListener('open', () => {
    dash.live = true;
    const l = $('live');
    l.textContent = 'live';
    l.className = 'pill on';
    // After a reconnect the table may have changed unseen.
    soon(0);
    refreshVrrp().catch(() => {});
  });
  es.addEventListener('error', () => {
    dash.live = false;
    const l = $('live');
    l.textContent = 'reconnecting';
    l.className = 'pill off';
  });
  es.addEventListener('stats', (e) => {
    const t0 = performance.now();
    const s = JSON.parse(e.data);
    skew = s.at - Date.now();
    let unknown = false;
    for (const svc of s.services) {
      const v = services.get(svc.id);
      if (!v?.live(svc)) unknown = true;
    }
    scrollTimelines();
    if (unknown && s.services.length > 0) soon();
    keep(perf.statsApplyMs, performance.now() - t0);
    perf.statsEvents++;
    // Until the frame that shows it is done: style, layout and paint included.
    requestAnimationFrame(() => setTimeout(() => keep(perf.statsFrameMs, performance.now() - t0), 0));
  });
  es.addEventListener('table', (e) => {
    logEvent(Number(e.lastEventId), 'table', JSON.parse(e.data));
    soon();
  });
  es.addEventListener('health', (e) => onHealth(Number(e.lastEventId), JSON.parse(e.data), false));
  es.addEventListener('vrrp', (e) => {
    logEvent(Number(e.lastEventId), 'vrrp', JSON.parse(e.data));
    refreshVrrp().catch(() => {});
  });
}

async function start() {
  paintToken();
  try {
    await refreshStatus();
    await refreshTable();
    await refreshVrrp();
    const recent = await getJson('/api/events/recent');
    for (const ev of recent.events) {
      if (ev.type === 'health') onHealth(ev.id, ev.data, true);
      else logEvent(ev.id, ev.type, ev.data);
    }
    // Health state as of now wins over replayed history.
    reconcile();
    dash.ready = true;
  } catch (e) {
    showError(e.message);
  }
  connect();
  // Availability and "time in state" move with the clock, not with events.
  setInterval(() => {
    soon(0);
    refreshStatus().catch(() => {});
  }, 15_000);
}

start();
