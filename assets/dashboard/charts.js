/**
 * Hand-drawn SVG charts (no chart library): a sparkline of the last SAMPLES rate figures, and a
 * health timeline whose segments sit in seconds since page load, so moving the time window is
 * one viewBox change rather than a redraw.
 */

const NS = 'http://www.w3.org/2000/svg';
/** Samples a sparkline keeps: 60 x 2 s = the last 2 minutes. */
export const SAMPLES = 60;
/** Widest health timeline window, s (10 minutes). */
export const TIMELINE_S = 600;
/** Narrowest window, s: a freshly started lvsd is shown over its whole life, at least this. */
export const TIMELINE_MIN_S = 60;
/** Until this many samples exist, a sparkline spreads them over this many slots. */
const MIN_SLOTS = 20;
/** Segments a timeline keeps before dropping the oldest. */
const MAX_SEGMENTS = 64;

function el(name, attrs) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A sparkline: `push(value)` adds a sample and redraws one path. */
export class Spark {
  constructor(title) {
    this.values = [];
    this.root = document.createElement('span');
    this.root.className = 'spark';
    this.svg = el('svg', {
      viewBox: `0 0 ${SAMPLES - 1} 16`,
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
    });
    this.path = el('path', { d: '' });
    this.svg.append(this.path);
    this.label = document.createElement('span');
    this.label.title = title;
    this.root.append(this.svg, this.label);
  }

  /** Adds one sample; `text` is its label; `draw` false defers the path (a row out of view). */
  push(value, text, draw = true) {
    this.values.push(Number.isFinite(value) ? value : 0);
    if (this.values.length > SAMPLES) this.values.shift();
    this.text = text;
    if (draw) this.draw();
  }

  /** No current figure (the real server left the table): the label says so, the line stays. */
  blank() {
    this.text = '–';
    this.draw();
  }

  /** Draws the label and the path from the samples kept. */
  draw() {
    if (this.label.textContent !== this.text) this.label.textContent = this.text;
    const n = this.values.length;
    const max = Math.max(...this.values);
    // Right-aligned; the x step widens while there are few samples so a new page draws a line.
    const slots = Math.max(n, MIN_SLOTS);
    const step = (SAMPLES - 1) / (slots - 1);
    const x0 = (slots - n) * step;
    let d = '';
    for (let i = 0; i < n; i++) {
      const y = max > 0 ? 15 - (this.values[i] / max) * 14 : 15;
      d += `${i === 0 ? 'M' : 'L'}${(x0 + i * step).toFixed(1)},${y.toFixed(1)}`;
    }
    if (this.path.getAttribute('d') !== d) this.path.setAttribute('d', d);
  }
}

/** A health timeline: coloured segments from state changes; `scroll(now)` moves the window. */
export class Timeline {
  constructor(origin) {
    this.origin = origin;
    this.svg = el('svg', { class: 'timeline', viewBox: `0 0 ${TIMELINE_S} 1`, preserveAspectRatio: 'none' });
    /** Known states, oldest first: [wall-clock ms, up]. */
    this.changes = [];
    this.title = document.createElementNS(NS, 'title');
    this.svg.append(this.title);
  }

  /** The state was `up` from wall-clock ms `at` (history may arrive in any order). */
  mark(up, at) {
    const c = this.changes;
    if (c.some(([t, u]) => t === at && u === up)) return;
    let i = c.length;
    while (i > 0 && c[i - 1][0] > at) i--;
    c.splice(i, 0, [at, up]);
    if (c.length > MAX_SEGMENTS) c.shift();
    this.draw();
  }

  draw() {
    for (const r of this.svg.querySelectorAll('rect')) r.remove();
    const c = this.changes;
    for (let i = 0; i < c.length; i++) {
      const [at, up] = c[i];
      // A repeat of the state before it is not a change: the earlier segment runs on.
      if (i > 0 && c[i - 1][1] === up) continue;
      let j = i + 1;
      while (j < c.length && c[j][1] === up) j++;
      const x = (at - this.origin) / 1000;
      // Open-ended until the next change; the viewBox clips it at "now".
      const w = j < c.length ? (c[j][0] - at) / 1000 : 1e7;
      this.svg.append(
        el('rect', { x: x.toFixed(2), y: 0, width: w.toFixed(2), height: 1, class: up ? 'up' : 'down' }),
      );
    }
    const last = c[c.length - 1];
    if (last)
      this.title.textContent = `${last[1] ? 'up' : 'down'} since ${new Date(last[0]).toLocaleString()}`;
  }

  /** The earliest state this timeline knows, wall-clock ms, or undefined. */
  first() {
    return this.changes[0]?.[0];
  }

  /** Shows the `spanS` seconds up to wall-clock ms `now`. */
  scroll(now, spanS) {
    const end = (now - this.origin) / 1000;
    const vb = `${(end - spanS).toFixed(1)} 0 ${spanS.toFixed(1)} 1`;
    if (this.svg.getAttribute('viewBox') !== vb) this.svg.setAttribute('viewBox', vb);
  }
}
