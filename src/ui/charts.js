// Charts drawn by hand in SVG: no library, no inline styles (the page's CSP forbids
// them); colours come from classes in ui.css.

const NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and optional children. */
export function svg(tag, attrs = {}, children = []) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** A tooltip child (<title>) for an SVG element. */
function tip(text) {
  const t = document.createElementNS(NS, 'title');
  t.textContent = text;
  return t;
}

/** A "nice" upper bound for an axis: 1, 2, 5 × 10^n at or above `max`. */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** 14:05:30, on a 24-hour clock in the browser's time zone. */
export const clock = (ms) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** Grid steps for an axis topped by `niceMax`: whole numbers at each line. */
function divisions(top) {
  if (top <= 5) return top;
  const lead = top / 10 ** Math.floor(Math.log10(top));
  return lead === 2 ? 4 : 5;
}

/**
 * Bars of offered and accepted per time bucket, with the acceptance rate (accepted /
 * offered, where something was offered) as a line on a 0–100 % right axis.
 * @param {HTMLElement} host
 * @param {{ fromMs: number, bucketMs: number, offered: number[], accepted: number[] }} data
 */
export function barsAndRate(host, data) {
  const width = Math.max(320, host.clientWidth || 640);
  const height = 260;
  const m = { l: 40, r: 44, t: 12, b: 26 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const n = data.offered.length;
  const top = niceMax(Math.max(...data.offered, ...data.accepted, 1));
  const x = (i) => m.l + (i * w) / n;
  const y = (v) => m.t + h - (v / top) * h;
  const yr = (r) => m.t + h - r * h;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart-svg' });

  const steps = divisions(top);
  for (let k = 0; k <= steps; k++) {
    const v = (top * k) / steps;
    root.append(svg('line', { x1: m.l, x2: m.l + w, y1: y(v), y2: y(v), class: k === 0 ? 'axis' : 'grid' }));
    root.append(
      svg('text', { x: m.l - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, [
        document.createTextNode(formatCount(v)),
      ]),
    );
    root.append(
      svg('text', { x: m.l + w + 6, y: yr(k / steps) + 4, class: 'tick rate', 'text-anchor': 'start' }, [
        document.createTextNode(`${Math.round((k * 100) / steps)}%`),
      ]),
    );
  }
  const ticks = Math.min(6, n);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round((k * (n - 1)) / Math.max(1, ticks - 1));
    root.append(
      svg('text', { x: x(i) + w / n / 2, y: height - 8, class: 'tick', 'text-anchor': 'middle' }, [
        document.createTextNode(clock(data.fromMs + i * data.bucketMs)),
      ]),
    );
  }

  const bw = Math.max(1, w / n - 1);
  const points = [];
  for (let i = 0; i < n; i++) {
    const o = data.offered[i];
    const a = data.accepted[i];
    const label = `${clock(data.fromMs + i * data.bucketMs)}: offered ${o}, accepted ${a}`;
    if (o > 0)
      root.append(
        svg('rect', { x: x(i) + 0.5, y: y(o), width: bw, height: y(0) - y(o), class: 'bar offered' }, [tip(label)]),
      );
    if (a > 0)
      root.append(
        svg(
          'rect',
          { x: x(i) + 0.5 + bw * 0.2, y: y(a), width: bw * 0.6, height: y(0) - y(a), class: 'bar accepted' },
          [tip(label)],
        ),
      );
    if (o > 0) points.push([x(i) + w / n / 2, yr(Math.min(1, a / o))]);
  }
  if (points.length > 1)
    root.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), class: 'line rate' }));
  for (const [px, py] of points) root.append(svg('circle', { cx: px, cy: py, r: 2.2, class: 'dot rate' }));
  if (data.offered.every((v) => v === 0)) {
    root.append(
      svg('text', { x: m.l + w / 2, y: m.t + h / 2, class: 'chart-empty', 'text-anchor': 'middle' }, [
        document.createTextNode('nothing offered in this window yet'),
      ]),
    );
  }
  host.replaceChildren(root);
  host.dataset.offered = String(data.offered.reduce((s, v) => s + v, 0));
  host.dataset.accepted = String(data.accepted.reduce((s, v) => s + v, 0));
}

/** A small line of a series (the catalog's "offered over time"). */
export function sparkline(values, width = 120, height = 26) {
  const top = Math.max(1, ...values);
  const n = values.length;
  const pts = values.map((v, i) => `${((i + 0.5) * width) / n},${height - 2 - (v / top) * (height - 4)}`);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'spark' });
  root.append(svg('line', { x1: 0, x2: width, y1: height - 1.5, y2: height - 1.5, class: 'axis' }));
  if (values.some((v) => v > 0)) root.append(svg('polyline', { points: pts.join(' '), class: 'line offered' }));
  return root;
}

/** A horizontal bar for a share (segments). */
export function shareBar(share) {
  const root = svg('svg', { viewBox: '0 0 100 8', preserveAspectRatio: 'none', class: 'share' });
  root.append(svg('rect', { x: 0, y: 0, width: 100, height: 8, rx: 2, class: 'track' }));
  if (share > 0)
    root.append(svg('rect', { x: 0, y: 0, width: Math.max(1, share * 100), height: 8, rx: 2, class: 'fill' }));
  return root;
}

/** 1234 → "1,234"; 12500 → "12.5k". */
export function formatCount(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v >= 100_000) return `${Math.round(v / 1000)}k`;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}k`;
  return Math.round(v).toLocaleString('en-US');
}
