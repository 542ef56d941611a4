// Markdown table of tests/bench/elasticity-scale.sh output (JSON lines on stdin): per case and
// preconditioner the median over its runs of set-up, solve, set-up + solve, whole-process wall
// time and peak RSS, with the iterations and the runs' totals.
//   bash tests/bench/elasticity-scale.sh 3 "solid-32:gmg ..." | node tests/bench/elasticity-table.mjs
import { readFileSync } from 'node:fs';
const rows = readFileSync(0, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const groups = new Map();
for (const r of rows) { const k = `${r.case} ${r.preconditioner}`; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(r); }
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
console.log('| case | unknowns | preconditioner | iterations | set-up s | solve s | set-up + solve s | process wall s | peak RSS MiB | runs (set-up + solve) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [, g] of groups) {
  const r = g[0];
  if (r.error) { console.log(`| ${r.case} | | ${r.preconditioner} | failed: ${r.error.replace(/\|/g, '/').slice(-120)} | | | | | | |`); continue; }
  const used = r.used && r.used !== r.preconditioner ? ` → ${r.used}` : '';
  console.log(`| ${r.case} | ${r.unknowns.toLocaleString('en')} | ${r.preconditioner}${used} | ${g.map((x) => x.iterations).join('/')} | ${med(g.map((x) => x.setup_s)).toFixed(2)} | ${med(g.map((x) => x.solve_s)).toFixed(2)} | ${med(g.map((x) => x.total_s)).toFixed(2)} | ${med(g.map((x) => x.wall_s)).toFixed(1)} | ${med(g.map((x) => x.rss_MiB))} | ${g.map((x) => x.total_s.toFixed(1)).join(', ')} |`);
}
