import type { ArmReport, ReplayReport } from './replay.js';

const n = (v: number) => v.toLocaleString('en');
const pct = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`);

/** The replay report as a side-by-side table: baseline, and the candidate when there is one. */
export function formatReport(r: ReplayReport): string {
  const arms: ArmReport[] = [r.baseline, ...(r.candidate ? [r.candidate] : [])];
  const rows: string[][] = [];
  const head = ['', ...arms.map((a, i) => `${i === 0 ? 'baseline' : 'candidate'} ${a.rulesVersion}`)];
  const row = (label: string, f: (a: ArmReport) => string) => rows.push([label, ...arms.map(f)]);
  row('decisions with an offer', (a) => `${n(a.withOffer)} (${pct(a.withOffer, a.decisions)})`);
  row('eligibility rate', (a) => pct(a.eligibilityRate * a.decisions, a.decisions));
  row('answered by a fallback', (a) => `${n(a.fallbacks)} (${pct(a.fallbacks, a.decisions)})`);
  row('no offer', (a) => n(a.empty));
  row('caps hit', (a) => n(a.capsHit));
  row('cooldowns hit', (a) => n(a.cooldownsHit));
  row('responses fed / unmatched', (a) => `${n(a.responses.fed)} / ${n(a.responses.unmatched)}`);
  rows.push(['decisions per offer']);
  const ids = [...new Set(arms.flatMap((a) => Object.keys(a.offers)))].sort();
  for (const id of ids)
    row(`  ${id}`, (a) =>
      a.offers[id]
        ? `${n(a.byOffer[id] ?? 0)}  (eligible ${pct(a.offers[id].eligible, a.offers[id].candidate)})`
        : 'absent',
    );
  const segmentations = [...new Set(arms.flatMap((a) => Object.keys(a.bySegment)))].sort();
  for (const s of segmentations) {
    const segs = [...new Set(arms.flatMap((a) => Object.keys(a.bySegment[s] ?? {})))].sort();
    for (const seg of segs) {
      rows.push([`segment ${s}=${seg}`]);
      row('  decisions', (a) => n(a.bySegment[s]?.[seg]?.decisions ?? 0));
      const segOffers = [...new Set(arms.flatMap((a) => Object.keys(a.bySegment[s]?.[seg]?.byOffer ?? {})))].sort();
      for (const id of segOffers) row(`  ${id}`, (a) => n(a.bySegment[s]?.[seg]?.byOffer[id] ?? 0));
    }
  }
  const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i]?.length ?? 0)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!)))
      .join('   ')
      .trimEnd();
  const lines = [
    `events ${n(r.events)}${r.rejected ? ` (${n(r.rejected)} lines rejected)` : ''} · decisions ${n(r.decisions)}${r.candidate ? ` · changed ${n(r.changed)} (${pct(r.changed, r.decisions)})` : ''}`,
    ...r.rejections
      .slice(0, 5)
      .map((x) => `  line ${x.line}: ${x.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`),
    '',
    fmt(head),
    ...rows.map(fmt),
  ];
  return `${lines.join('\n')}\n`;
}
