/**
 * Hand-drawn SVG charts (no chart library): a sparkline of the last SAMPLES rate figures, and a
 * health timeline whose segments sit in seconds since page load, so moving the time window is
 * one viewBox change rather than a redraw.
 */

const NS = 'http://www.w3.org/2000/svg';
/** Samples a sparkline keeps: 60 x 2 s = the last 2 minutes. */
export const SAMPLES = 60;
/** Width of the health timeline window, s. */
export const TIMELINE_S = 600;
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

  /** Adds one sample; `text` is its label. */
  push(value, text) {
    this.values.push(Number.isFinite(value) ? value : 0);
    if (this.values.length > SAMPLES) this.values.shift();
    if (this.label.textContent !== text) this.label.textContent = text;
    const max = Math.max(...this.values);
    const x0 = SAMPLES - this.values.length;
    let d = '';
    for (let i = 0; i < this.values.length; i++) {
      const y = max > 0 ? 15 - (this.values[i] / max) * 14 : 15;
      d += `${i === 0 ? 'M' : 'L'}${x0 + i},${y.toFixed(1)}`;
    }
    this.path.setAttribute('d', d);
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

  /** Shows the TIMELINE_S seconds up to wall-clock ms `now`. */
  scroll(now) {
    const end = (now - this.origin) / 1000;
    this.svg.setAttribute('viewBox', `${(end - TIMELINE_S).toFixed(1)} 0 ${TIMELINE_S} 1`);
  }
}
