// The live page: polls the read routes, listens to the decision stream, draws the panels.
import { decisionStream, getJSON, getOptional } from './api.js';
import { barsAndRate, clock, formatCount, shareBar, sparkline } from './charts.js';

const STATS_EVERY_MS = 2000;
const SLOW_EVERY_MS = 10_000;
const FEED_MAX = 40;

/** @param {string} id */
const $ = (id) => document.getElementById(id);

/**
 * An HTML element with attributes (class, data-*, title, on<event>…) and children (nodes or text).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {any} [children] a node, a text, or a list of them (null and undefined are skipped)
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of [].concat(children))
    if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const pct = (r) =>
  r === null || r === undefined || Number.isNaN(r) ? '–' : `${(r * 100).toFixed(r > 0 && r < 0.1 ? 1 : 0)}%`;
const shortVersion = (v) => (typeof v === 'string' ? v.slice(0, 10) : '–');
const time = (iso) => clock(Date.parse(iso));
function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

const state = { stats: null, selected: null, names: new Map(), window: '5m' };

// ---- catalog, KPIs and the chart (GET /v1/stats/offers) ----

function renderStats(s) {
  state.stats = s;
  for (const o of s.offers) state.names.set(o.offerId, o.name);
  $('rules-version').textContent = shortVersion(s.rulesVersion);
  $('rules-version').title = s.rulesVersion;
  $('instance').textContent = s.instance;

  const sumOf = (k) => s.offers.reduce((a, o) => a + o.totals[k], 0);
  const offered = sumOf('offered');
  const accepted = sumOf('accepted');
  $('kpi-decisions').textContent = formatCount(s.decisions.reduce((a, v) => a + v, 0));
  $('kpi-offered').textContent = formatCount(offered);
  $('kpi-accepted').textContent = formatCount(accepted);
  $('kpi-rate').textContent = pct(offered > 0 ? accepted / offered : null);
  $('kpi-customers').textContent = formatCount(s.customers);
  $('kpi-window').textContent = `${Math.round(s.window / 60)} min · ${s.bucketSeconds}s buckets`;

  const rows = s.offers.map((o) =>
    h(
      'tr',
      {
        class: o.offerId === state.selected ? 'selected' : '',
        'data-offer': o.offerId,
        'data-state': o.state,
        tabindex: 0,
        onclick: () => select(o.offerId),
        onkeydown: (e) => e.key === 'Enter' && select(o.offerId),
      },
      [
        h('td', {}, [
          h('div', { class: 'offer-name' }, o.name),
          h('div', { class: 'offer-id' }, o.offerId + (o.fallback ? ' · fallback' : '')),
        ]),
        h(
          'td',
          {},
          o.channels.map((c) => h('span', { class: 'chip' }, c)),
        ),
        h('td', {}, h('span', { class: `badge ${o.state}`, title: stateTitle(o) }, o.state)),
        h('td', { class: 'num' }, formatCount(o.totals.offered)),
        h('td', { class: 'num' }, formatCount(o.totals.accepted)),
        h('td', { class: 'num' }, pct(o.totals.acceptanceRate)),
        h('td', { class: 'spark-cell' }, sparkline(o.series.offered)),
      ],
    ),
  );
  $('catalog').replaceChildren(...rows);
  drawChart();
  renderSegments(s.segments, s.customers);
  streams.setChannels(s.channels);
  $('feed-channels').textContent = s.channels.length ? `channels: ${s.channels.join(', ')}` : '';
}

function stateTitle(o) {
  if (o.state === 'capped' && o.cap)
    return `${o.cap.outcome} cap reached: ${o.cap.count} of ${o.cap.max}${o.cap.window ? ` per ${o.cap.window}` : ''}`;
  if (o.state === 'scheduled') return `starts ${new Date(o.active.from).toLocaleString()}`;
  if (o.state === 'expired') return `ended ${new Date(o.active.to).toLocaleString()}`;
  if (o.state === 'removed') return 'counted in this window, no longer in the live rules';
  return o.active.to ? `active until ${new Date(o.active.to).toLocaleString()}` : 'active';
}

function select(offerId) {
  state.selected = state.selected === offerId ? null : offerId;
  for (const tr of /** @type {HTMLCollectionOf<HTMLElement>} */ ($('catalog').children))
    tr.classList.toggle('selected', tr.dataset.offer === state.selected);
  drawChart();
}

function drawChart() {
  const s = state.stats;
  if (!s) return;
  const picked = state.selected ? s.offers.filter((o) => o.offerId === state.selected) : s.offers;
  const add = (k) => Array.from({ length: s.buckets }, (_, i) => picked.reduce((a, o) => a + o.series[k][i], 0));
  $('chart-title').textContent = state.selected
    ? `· ${state.names.get(state.selected) ?? state.selected}`
    : '· all offers';
  barsAndRate($('chart'), {
    fromMs: Date.parse(s.from),
    bucketMs: s.bucketSeconds * 1000,
    offered: add('offered'),
    accepted: add('accepted'),
  });
}

function renderSegments(segments, customers) {
  const blocks = segments.map((sg) =>
    h('div', { class: 'segmentation' }, [
      h('h3', {}, sg.segmentation),
      ...sg.sizes.map((z) =>
        h('div', { class: 'segment-row', 'data-segment': `${sg.segmentation}/${z.segment}` }, [
          h('span', { class: 'segment-name' }, z.segment ?? '(none)'),
          shareBar(customers > 0 ? z.customers / customers : 0),
          h('span', { class: 'num' }, formatCount(z.customers)),
        ]),
      ),
    ]),
  );
  $('segments').replaceChildren(
    ...(blocks.length ? blocks : [h('p', { class: 'empty' }, 'The rules define no segmentations.')]),
  );
}

// ---- live decisions (WebSocket /v1/stream) ----

function onDecision(d) {
  $('feed-empty').hidden = true;
  const offers = d.offers.length
    ? d.offers.map((o) =>
        h(
          'span',
          { class: 'feed-offer', title: `score ${o.score.toFixed(3)}` },
          state.names.get(o.offerId) ?? o.offerId,
        ),
      )
    : [h('span', { class: 'muted' }, 'no offer')];
  const li = h('li', { class: 'fresh', 'data-decision': d.decisionId, 'data-customer': d.customerId }, [
    h('span', { class: 'feed-time' }, time(d.time)),
    h('span', { class: 'chip' }, d.channel),
    h('span', { class: 'feed-who' }, [
      h('b', {}, d.customerId),
      ` · ${d.trigger}`,
      d.degraded ? h('span', { class: 'badge capped' }, 'degraded') : null,
    ]),
    h('span', { class: 'feed-offers' }, offers),
  ]);
  const feed = $('feed');
  feed.prepend(li);
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
}

function onStreamState(s, open, all) {
  const el = $('conn');
  el.dataset.state = s;
  $('conn-text').textContent =
    s === 'live'
      ? `live · ${all} channel${all === 1 ? '' : 's'}`
      : s === 'connecting'
        ? `connecting ${open}/${all}`
        : 'stream unavailable';
  el.title = s === 'down' ? 'The decision stream refused the connection: the key may lack the stream scope' : '';
}

const streams = decisionStream(onDecision, onStreamState);

// ---- rules per instance and history (GET /v1/instances, /v1/rules/versions) ----

async function refreshRules() {
  const [inst, vers] = await Promise.all([getOptional('/v1/instances'), getOptional('/v1/rules/versions')]);
  const panel = $('rules-panel');
  const live = vers.status === 200 ? vers.body.live : state.stats?.rulesVersion;
  let instances = inst.status === 200 && Array.isArray(inst.body?.instances) ? inst.body.instances : null;
  if (!instances && state.stats)
    instances = [{ id: state.stats.instance, rulesVersion: state.stats.rulesVersion, seenAt: state.stats.time }];
  $('instances').replaceChildren(
    ...(instances ?? []).map((i) =>
      h('tr', { class: live && i.rulesVersion !== live ? 'behind' : '' }, [
        h('td', { class: 'mono' }, i.id),
        h('td', { class: 'mono', title: i.rulesVersion }, [
          shortVersion(i.rulesVersion),
          live && i.rulesVersion !== live ? h('span', { class: 'badge capped' }, 'behind') : null,
        ]),
        h('td', { class: 'muted' }, i.seenAt ? ago(i.seenAt) : '–'),
      ]),
    ),
  );
  const history = vers.status === 200 && Array.isArray(vers.body?.versions) ? vers.body.versions : null;
  panel.classList.toggle('unavailable', !history);
  if (!history) return void $('history').replaceChildren();
  $('rules-source').textContent = `source: ${vers.body.source}`;
  $('history').replaceChildren(
    ...history
      .slice(0, 12)
      .map((v) =>
        h('li', { class: v.version === live ? 'live' : '' }, [
          h('div', {}, [
            h('b', { class: 'mono', title: v.version }, shortVersion(v.version)),
            v.version === live ? h('span', { class: 'badge active' }, 'live') : null,
            h('span', { class: 'muted' }, ` ${ago(v.time)}${v.keyId ? ` · ${v.keyId}` : ''}`),
          ]),
          v.message ? h('div', { class: 'history-msg' }, v.message) : null,
          h('div', { class: 'diff' }, [
            diffPart('+', v.added, 'added'),
            diffPart('−', v.removed, 'removed'),
            diffPart('~', v.changed, 'changed'),
          ]),
        ]),
      ),
  );
}

const diffPart = (sign, ids, cls) =>
  ids?.length ? h('span', { class: cls, title: ids.join(', ') }, `${sign}${ids.length} `) : null;

// ---- experiments, holdout and learning (GET /v1/experiments, /v1/learning) ----

async function refreshExperiments() {
  const [exp, learn] = await Promise.all([getOptional('/v1/experiments'), getOptional('/v1/learning')]);
  $('experiments-panel').classList.toggle('unavailable', exp.status !== 200 && learn.status !== 200);
  const arms = exp.status === 200 && Array.isArray(exp.body?.arms) ? exp.body.arms : [];
  $('arms').replaceChildren(
    ...(arms.length
      ? arms.map((a) =>
          h('tr', {}, [
            h('td', {}, a.policy),
            h('td', { class: 'num' }, pct(a.share)),
            h('td', { class: 'num' }, formatCount(a.decisions)),
            h('td', { class: 'num' }, `${formatCount(a.accepted)} · ${pct(a.acceptanceRate)}`),
            h('td', {}, a.uplift ? upliftText(a.uplift) : h('span', { class: 'muted' }, 'baseline')),
          ]),
        )
      : [
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: 5, class: 'muted' },
              exp.status === 200 ? 'No experiment or holdout configured.' : 'Not available.',
            ),
          ),
        ]),
  );
  const offers = learn.status === 200 && Array.isArray(learn.body?.offers) ? learn.body.offers : [];
  $('learning').replaceChildren(
    ...(offers.length
      ? offers
          .slice(0, 12)
          .map((o) =>
            h('tr', {}, [
              h('td', {}, state.names.get(o.offerId) ?? o.offerId),
              h('td', { class: 'num' }, formatCount(o.impressions)),
              h('td', { class: 'num' }, formatCount(o.accepted)),
              h('td', { class: 'num' }, pct(o.estimate)),
            ]),
          )
      : [
          h(
            'tr',
            {},
            h('td', { colspan: 4, class: 'muted' }, learn.status === 200 ? 'Nothing learned yet.' : 'Not available.'),
          ),
        ]),
  );
}

const signed = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%` : '–';
const upliftText = (u) =>
  `${signed(u.estimate)}${Array.isArray(u.ci95) ? ` (${signed(u.ci95[0])} … ${signed(u.ci95[1])})` : ''}`;

// ---- polling ----

function every(ms, fn) {
  const run = () =>
    fn()
      .catch((err) => console.warn(err))
      .finally(() => setTimeout(run, ms));
  run();
}

async function refreshStats() {
  const asked = state.window;
  const r = await getJSON(`/v1/stats/offers?window=${asked}`);
  // an answer for a window the user has since switched away from is dropped
  if (r.status === 200 && asked === state.window) renderStats(r.body);
}

if (document.body.dataset.auth === 'on') {
  const out = $('sign-out');
  out.hidden = false;
  out.title = `signed in as ${document.body.dataset.keyId}`;
  out.addEventListener('click', async () => {
    await fetch('/ui/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    location.reload();
  });
}
for (const b of $('window-ctl').querySelectorAll('button')) {
  b.addEventListener('click', () => {
    state.window = b.dataset.window;
    for (const o of $('window-ctl').querySelectorAll('button')) o.classList.toggle('on', o === b);
    refreshStats().catch((err) => console.warn(err));
  });
}
addEventListener('resize', () => drawChart());
// the rules panel falls back on the stats' instance and version: read them first
refreshStats()
  .catch((err) => console.warn(err))
  .finally(() => {
    setTimeout(() => every(STATS_EVERY_MS, refreshStats), STATS_EVERY_MS);
    every(SLOW_EVERY_MS, refreshRules);
    every(SLOW_EVERY_MS, refreshExperiments);
  });
