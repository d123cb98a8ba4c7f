import { generateWorld, runWorld } from './lib/ground-truth.js';
const world = generateWorld(Number(process.env.SEED ?? 42));
const H = (process.env.HL ?? '1,3,none').split(',');
for (const h of H) {
  const c = { label: `thompson hl=${h}`, exploration: (process.env.EXP ?? 'thompson') as 'thompson', segmentation: process.env.SEG === 'none' ? null : 'value_tier', priorMaxImpressions: Number(process.env.K ?? 20), halfLifeMs: h === 'none' ? null : Number(h) * 86_400_000 };
  const r = await runWorld(world, c, { decisions: Number(process.env.N ?? 50000), stepMs: Number(process.env.STEP ?? 30_000), window: 2500, seed: 1, ...(process.env.SWAP ? { swapAt: Number(process.env.SWAP) } : {}) });
  console.log(c.label, r.windows.map((w) => w.nbo.toFixed(2)).join(' '), '| total', r.total.nbo.toFixed(3), 'segOracle', r.total.segmentOracle.toFixed(3), 'static', r.total.static.toFixed(3), 'random', r.total.random.toFixed(3));
}
