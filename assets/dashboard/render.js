/**
 * Keyed DOM views of services and real-server rows. Every update writes only the cells whose
 * text changed, so a stats event at a few hundred real servers touches a few hundred text nodes
 * and paths, never rebuilds the table. Text goes in through textContent only.
 */
import { Spark, Timeline } from './charts.js';
import { duration, pct, si } from './format.js';
import { rowState } from './model.js';

const STATE_TEXT = { up: 'UP', down: 'DOWN', draining: 'DRAINING' };
const COLUMNS = [
  ['Real server', ''],
  ['State', ''],
  ['Weight', 'num'],
  ['Active', 'num'],
  ['Inactive', 'num'],
  ['Conn/s', ''],
  ['Packets/s', ''],
  ['Bytes/s', ''],
  ['Health', ''],
  ['Last check', ''],
  ['Uptime', 'num'],
  ['MTBF', 'num'],
  ['MTTR', 'num'],
  ['', ''],
];

function set(node, text) {
  const t = String(text);
  if (node.textContent !== t) node.textContent = t;
}

function td(cls) {
  const c = document.createElement('td');
  if (cls) c.className = cls;
  return c;
}

/** One real server's row. */
export class RowView {
  constructor(row, ctx) {
    this.ctx = ctx;
    this.row = row;
    this.tr = document.createElement('tr');
    this.tr.dataset.key = row.key;
    this.tr.dataset.rs = row.rid;
    // Rows out of view keep their samples but skip drawing (ctx.observer says which are in view).
    this.visible = true;
    ctx.observer?.observe(this.tr);
    this.tr.lvsRow = this;
    this.cells = {};
    for (const name of [
      'rs',
      'state',
      'weight',
      'active',
      'inact',
      'cps',
      'pps',
      'bps',
      'health',
      'check',
      'uptime',
      'mtbf',
      'mttr',
      'action',
    ]) {
      this.cells[name] = td(
        ['weight', 'active', 'inact', 'uptime', 'mtbf', 'mttr'].includes(name) ? 'num' : '',
      );
      this.cells[name].dataset.col = name;
      this.tr.append(this.cells[name]);
    }
    set(this.cells.rs, row.rid);
    this.stateBadge = document.createElement('span');
    this.cells.state.append(this.stateBadge);
    this.sparks = {
      cps: new Spark('connections/s'),
      pps: new Spark('packets/s in+out'),
      bps: new Spark('bytes/s in+out'),
    };
    this.cells.cps.append(this.sparks.cps.root);
    this.cells.pps.append(this.sparks.pps.root);
    this.cells.bps.append(this.sparks.bps.root);
    this.timeline = new Timeline(ctx.origin);
    this.cells.health.append(this.timeline.svg);
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.addEventListener('click', () => {
      const action = this.row.inTable && this.row.weight === 0 ? 'undrain' : 'drain';
      ctx.onAction(this.row, action, this.button);
    });
    this.cells.action.append(this.button);
    this.update(row);
  }

  /** Applies a fresh model row. */
  update(row) {
    this.row = row;
    this.paintState();
    set(this.cells.weight, row.inTable ? row.weight : '–');
    // Out of the table it has no rates any more: do not leave the last ones standing.
    if (!row.inTable) for (const sp of Object.values(this.sparks)) sp.blank();
    this.cells.weight.title = row.inTable ? '' : 'not in the table (removed by its health check)';
    set(this.cells.active, row.activeConns);
    set(this.cells.inact, row.inactConns);
    const h = row.health;
    if (h) {
      const last = h.checkers?.find((c) => c.last)?.last;
      this.check(
        last
          ? `${last.ok ? 'ok' : 'FAIL'} ${Math.round(last.durationMs)}ms ${last.message}`
          : h.message || '-',
      );
      if (Number.isFinite(h.since)) this.timeline.mark(h.up, h.since);
    } else this.check('not checked');
    const a = row.avail;
    set(this.cells.uptime, a ? pct(a.uptimePct) : '-');
    set(this.cells.mtbf, a && a.failures > 0 ? duration(a.mtbfMs) : '-');
    set(this.cells.mttr, a && a.failures > 0 ? duration(a.mttrMs) : '-');
    this.cells.mtbf.title = a ? `${a.failures} failure(s) observed` : '';
  }

  /** The last-check cell, its full text also as hover text (the cell is cut with an ellipsis). */
  check(text) {
    set(this.cells.check, text);
    if (this.cells.check.title !== text) this.cells.check.title = text;
  }

  paintState() {
    const row = this.row;
    row.state = rowState(row);
    if (this.tr.className !== row.state) this.tr.className = row.state;
    set(this.stateBadge, STATE_TEXT[row.state]);
    this.stateBadge.className = `state ${row.state}`;
    this.button.disabled = !row.inTable;
    set(this.button, row.inTable && row.weight === 0 ? 'Undrain' : 'Drain');
  }

  /** Applies one real server's figures from a stats event. */
  live(d) {
    const r = this.row;
    if (r.weight !== d.weight) {
      r.weight = d.weight;
      set(this.cells.weight, d.weight);
      this.paintState();
    }
    set(this.cells.active, d.activeConns);
    set(this.cells.inact, d.inactConns);
    const rt = d.rates;
    const v = this.visible;
    this.sparks.cps.push(rt.cps, si(rt.cps), v);
    this.sparks.pps.push(rt.inpps + rt.outpps, si(rt.inpps + rt.outpps), v);
    this.sparks.bps.push(rt.inbps + rt.outbps, `${si(rt.inbps + rt.outbps)}B`, v);
  }

  /** The row came into view: draws what was deferred. */
  show(now, spanS) {
    this.visible = true;
    for (const sp of Object.values(this.sparks)) sp.draw();
    this.timeline.scroll(now, spanS);
  }

  /** A health transition for this row. */
  health(up, at, message) {
    if (this.row.health) {
      this.row.health = { ...this.row.health, up, since: at, message };
    } else this.row.health = { up, since: at, message, checkers: [] };
    this.timeline.mark(up, at);
    this.check(message);
    this.paintState();
  }
}

/** One virtual service: its header and its table of rows. */
export class ServiceView {
  constructor(svc, ctx) {
    this.ctx = ctx;
    this.rows = new Map();
    this.root = document.createElement('div');
    this.root.className = 'service';
    this.root.dataset.service = svc.id;
    const head = document.createElement('div');
    head.className = 'head';
    this.title = document.createElement('h3');
    this.meta = document.createElement('span');
    this.meta.className = 'muted';
    this.quorum = document.createElement('span');
    this.sparks = {
      cps: new Spark('connections/s'),
      pps: new Spark('packets/s in+out'),
      bps: new Spark('bytes/s in+out'),
    };
    this.conns = document.createElement('span');
    this.conns.className = 'muted';
    this.avail = document.createElement('span');
    this.avail.className = 'muted';
    const lab = (t, s) => {
      const w = document.createElement('span');
      w.className = 'muted';
      w.textContent = t;
      return [w, s.root];
    };
    head.append(
      this.title,
      this.meta,
      this.quorum,
      this.conns,
      ...lab('conn/s', this.sparks.cps),
      ...lab('pkt/s', this.sparks.pps),
      ...lab('B/s', this.sparks.bps),
      this.avail,
    );
    const table = document.createElement('table');
    const thead = document.createElement('thead');
    const hr = document.createElement('tr');
    for (const [name, cls] of COLUMNS) {
      const th = document.createElement('th');
      th.textContent = name;
      if (cls) th.className = cls;
      hr.append(th);
    }
    thead.append(hr);
    this.tbody = document.createElement('tbody');
    table.append(thead, this.tbody);
    this.root.append(head, table);
    this.update(svc);
  }

  /** Applies a fresh model service: patches known rows, adds new ones, removes gone ones. */
  update(svc) {
    this.svc = svc;
    set(this.title, svc.text);
    set(this.meta, `${svc.scheduler} · ${svc.rows.length} real server${svc.rows.length === 1 ? '' : 's'}`);
    if (svc.quorumUp === undefined) set(this.quorum, '');
    else {
      set(this.quorum, svc.quorumUp ? 'quorum up' : 'quorum DOWN');
      this.quorum.className = `state ${svc.quorumUp ? 'up' : 'down'}`;
    }
    set(this.avail, svc.avail ? `uptime ${pct(svc.avail.uptimePct)} · ${svc.avail.failures} failure(s)` : '');
    const keep = new Set();
    let prev = null;
    for (const row of svc.rows) {
      keep.add(row.key);
      let v = this.rows.get(row.key);
      if (v) v.update(row);
      else {
        v = new RowView(row, this.ctx);
        this.rows.set(row.key, v);
      }
      // Keep DOM order = model order, moving only rows that are out of place.
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== v.tr) this.tbody.insertBefore(v.tr, want);
      prev = v.tr;
    }
    for (const [k, v] of this.rows)
      if (!keep.has(k)) {
        this.ctx.observer?.unobserve(v.tr);
        v.tr.remove();
        this.rows.delete(k);
      }
  }

  /** Applies the service's figures from a stats event; returns false when a real server is unknown. */
  live(s) {
    let known = true;
    set(this.conns, `${s.activeConns} active / ${s.inactConns} inactive`);
    const rt = s.rates;
    this.sparks.cps.push(rt.cps, si(rt.cps));
    this.sparks.pps.push(rt.inpps + rt.outpps, si(rt.inpps + rt.outpps));
    this.sparks.bps.push(rt.inbps + rt.outbps, `${si(rt.inbps + rt.outbps)}B`);
    for (const d of s.dests) {
      const v = this.rows.get(`${s.id} ${d.id}`);
      if (v) v.live(d);
      else known = false;
    }
    return known;
  }

  /** Moves every row's health timeline to show `spanS` seconds up to `now`. */
  scroll(now, spanS) {
    for (const v of this.rows.values()) if (v.visible) v.timeline.scroll(now, spanS);
  }

  /** The earliest health state any row knows, wall-clock ms, or undefined. */
  first() {
    let f;
    for (const v of this.rows.values()) {
      const t = v.timeline.first();
      if (t !== undefined && (f === undefined || t < f)) f = t;
    }
    return f;
  }
}
