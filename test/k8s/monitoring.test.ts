import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { ensureTool, ROOT } from '../support/k8s.js';

// The SRE pack (k8s/monitoring/): the alerts pass promtool's checks and unit tests, and
// every PromQL expression of the alerts and the dashboard reads only metrics NBO exposes.

/** Series Prometheus itself makes for every target. */
const PROMETHEUS = ['up'];

const rule = YAML.parse(readFileSync(join(ROOT, 'k8s/monitoring/prometheusrule.yaml'), 'utf8'));
const dashboard = JSON.parse(readFileSync(join(ROOT, 'k8s/monitoring/grafana-dashboard.json'), 'utf8'));
const alerts: Array<{
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}> = rule.spec.groups.flatMap((g: any) => g.rules);
const panelExprs: Array<{ title: string; expr: string }> = dashboard.panels.flatMap((p: any) =>
  (p.targets ?? []).map((t: any) => ({ title: p.title, expr: t.expr })),
);

/** Grafana's variables in an expression, as Prometheus would see them after substitution. */
const substitute = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*');

/**
 * The metric names an expression reads: identifiers outside strings, label matchers,
 * range selectors and by/without lists, that are not functions, keywords or numbers.
 */
function metricNames(expr: string): string[] {
  const s = substitute(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = s.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || keywords.has(m[0].toLowerCase())) continue;
    if (m.index! > 0 && /[0-9.]/.test(s[m.index! - 1]!)) continue; // 0.99, 1e3
    names.add(m[0]);
  }
  return [...names];
}

let exposed: Set<string>;
let dir: string;

beforeAll(async () => {
  ensureTool('promtool');
  const json = await createMetrics().registry.getMetricsAsJSON();
  exposed = new Set(PROMETHEUS);
  for (const m of json) {
    exposed.add(m.name);
    if (String(m.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(m.name + suffix);
  }
  dir = mkdtempSync(join(tmpdir(), 'nbo-alerts-'));
  writeFileSync(join(dir, 'nbo-alerts.rules.yaml'), YAML.stringify({ groups: rule.spec.groups }));
});

const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('alerts (k8s/monitoring/prometheusrule.yaml)', () => {
  it('pass `promtool check rules`', () => {
    expect(promtool('check', 'rules', 'nbo-alerts.rules.yaml')).toMatch(
      new RegExp(`SUCCESS: ${alerts.length} rules found`),
    );
  });

  it('pass their unit tests (`promtool test rules`: firing, pending and silent cases)', () => {
    copyFileSync(join(ROOT, 'test/k8s/alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
    expect(promtool('test', 'rules', 'alerts.promtool.yaml')).toMatch(/SUCCESS/);
  });

  it('cover what an on-call needs, each with a severity and a runbook section in docs/operations.md', () => {
    const names = alerts.map((a) => a.alert);
    for (const need of [
      'NboNoReadyInstance',
      'NboInstanceNotReady',
      'NboDecisionLatencyHigh',
      'NboDegradedDecisions',
      'NboRuleErrors',
      'NboKafkaDlqRate',
      'NboKafkaConsumerLag',
      'NboKafkaConsumerRestarting',
      'NboRulesReloadRefused',
      'NboWebSocketDrops',
    ]) {
      expect(names).toContain(need);
    }
    const ops = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const headings = new Set([...ops.matchAll(/^### (\S+)/gm)].map((m) => m[1]!.toLowerCase()));
    for (const a of alerts) {
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels.severity);
      expect(a.annotations.runbook_url, a.alert).toBe(`docs/operations.md#${a.alert.toLowerCase()}`);
      expect(headings.has(a.alert.toLowerCase()), `docs/operations.md has no "### ${a.alert}"`).toBe(true);
    }
  });
});

describe('Grafana dashboard (k8s/monitoring/grafana-dashboard.json)', () => {
  it('has the panels an SRE looks at first', () => {
    const all = panelExprs.map((p) => p.expr).join('\n');
    expect(all).toMatch(/rate\(nbo_decisions_total/); // decisions/s
    expect(all).toMatch(/histogram_quantile\(0\.5, .*nbo_decision_duration_seconds_bucket/); // p50
    expect(all).toMatch(/histogram_quantile\(0\.99, .*nbo_decision_duration_seconds_bucket/); // p99
    expect(all).toMatch(/result="degraded"/); // degraded share
    expect(all).toMatch(/sum by \(offer\) \(rate\(nbo_offers_selected_total/); // offered per offer
    expect(all).toMatch(/outcome="accepted"\}\[1h\]\)\) \/ sum by \(offer\)/); // acceptance rate per offer
    expect(all).toMatch(/nbo_kafka_consumer_lag/);
    expect(all).toMatch(/nbo_store_errors_total/); // Redis errors
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lays its panels out on the 24-column grid without overlaps, each on the templated Prometheus', () => {
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `"${p.title}" overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, p.title);
        }
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax
      if (p.type !== 'row') expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(dashboard.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'namespace']);
  });

  it('every expression is valid PromQL (promtool checks them as recording rules)', () => {
    const rules = panelExprs.map((p, i) => ({ record: `nbo:dashboard_${i}`, expr: substitute(p.expr) }));
    writeFileSync(join(dir, 'dashboard.rules.yaml'), YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
    expect(promtool('check', 'rules', 'dashboard.rules.yaml')).toMatch(
      new RegExp(`SUCCESS: ${rules.length} rules found`),
    );
  });
});

describe('alerts and dashboard read only metrics NBO exposes', () => {
  it('the metric names are found in each expression', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, source) (rate(nbo_decision_duration_seconds_bucket{job="nbo"}[$__rate_interval]))) > 0.005',
      ),
    ).toEqual(['nbo_decision_duration_seconds_bucket']);
    expect(metricNames('(sum(nbo_ready{job="nbo"}) or vector(0)) < 1')).toEqual(['nbo_ready']);
    expect(metricNames('count(count by (version) (nbo_rules_info)) > 1 and on (x) up == 1')).toEqual([
      'nbo_rules_info',
      'up',
    ]);
  });

  it('every alert and every panel reads metrics, and each of them is one NBO exposes', () => {
    const all = [
      ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
      ...panelExprs.map((p) => ({ where: `panel "${p.title}"`, expr: p.expr })),
    ];
    expect(all.length).toBeGreaterThan(30);
    for (const { where, expr } of all) {
      const names = metricNames(expr);
      expect(names.length, `${where} reads no metric`).toBeGreaterThan(0);
      for (const n of names) expect(exposed.has(n), `${where} reads ${n}, which NBO does not expose`).toBe(true);
    }
  });
});
