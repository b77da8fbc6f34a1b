// Summarises a V8 CPU profile (node --cpu-prof, e.g. from `npm run bench -- --cpu-prof dir`): self time per
// function and per file area, the "profile that shows it" of docs/performance.md.
//
//   npx tsx bench/cpu_summary.ts dir/CPU.*.cpuprofile [--top 25] [--last SECONDS]
//
// --last keeps the samples of the profile's last SECONDS only: the measured window of a scenario ends shortly before
// the service stops, while start-up, compilation and minting fill the beginning.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, last: { type: 'string' } } });
const file = positionals[0];
if (!file) throw new Error('usage: bench/cpu_summary.ts <file.cpuprofile> [--top N]');
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
/** The first sample kept: with --last, the one from which the remaining time deltas add up to SECONDS. */
let first = 0;
if (values.last !== undefined) {
  let us = 0;
  first = prof.samples.length;
  while (first > 0 && us < Number(values.last) * 1e6) us += prof.timeDeltas[--first] ?? 0;
}
prof.samples.forEach((id, i) => {
  if (i >= first) selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** Where a function lives, coarsely: our code by folder, dependencies by package, Node internals, idle, GC. */
function area(n: Node): string {
  const { url, functionName } = n.callFrame;
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return '(gc)';
  if (functionName === '(program)') return '(program: native, incl. PKCS#11 and crypto calls)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/work\/[^/]+\/[^/]+\/([^/]+)/.exec(url) ?? /file:\/\/.*?\/((?:core|rssp|sam|authz|admin|openapi|bench)\/)/.exec(url);
  return own ? own[1]!.replace(/\/$/, '') : url || '(native)';
}

const fn = new Map<string, number>();
const areas = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${n.callFrame.lineNumber + 1}`;
  fn.set(name, (fn.get(name) ?? 0) + us);
  const a = area(n);
  areas.set(a, (areas.get(a) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled\n\nby area (self time):`);
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${pct(us)}  ${a}`);
console.log(`\ntop ${values.top} functions (self time):`);
for (const [f, us] of [...fn].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pct(us)}  ${f}`);
