// The dependency rules of DESIGN §6, checked on the resolved import graph (static imports, re-exports and dynamic
// import() of a literal), not by grepping for a path spelling: `../sam/x`, `./../sam/x` and `import('../sam/x')`
// are the same edge. Also refuses import cycles, type-only ones included. Run by scripts/check-deps.sh.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIRS = ['core', 'openapi', 'authz', 'rssp', 'sam', 'admin', 'client', 'conformance', 'softhsm-config', 'service.ts', 'main.ts'];

function files(p: string): string[] {
  const abs = path.join(ROOT, p);
  if (statSync(abs).isFile()) return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  return readdirSync(abs).flatMap((f) => files(path.join(p, f)));
}

const SPEC = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** Edges of one file: relative targets resolved to repository paths, packages by name. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith('.')) local.push(path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec)));
    else if (!spec.startsWith('node:')) packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return { local, packages };
}

const graph = new Map(DIRS.flatMap(files).map((f) => [f, importsOf(f)]));
const under = (dir: string) => (f: string) => f === dir || f.startsWith(`${dir}/`);
const problems: string[] = [];

type Rule = { rule: string; from: (f: string) => boolean; forbids: (target: string, isPackage: boolean) => boolean };
const RULES: Rule[] = [
  { rule: 'only sam/hsm/pkcs11/ imports pkcs11js', from: (f) => !under('sam/hsm/pkcs11')(f), forbids: (t, pkg) => pkg && t === 'pkcs11js' },
  { rule: 'only authz/ imports oidc-provider', from: (f) => !under('authz')(f), forbids: (t, pkg) => pkg && t === 'oidc-provider' },
  {
    rule: 'rssp, authz and admin reach the SAM through its port (core/sam_port.ts), never its internals',
    from: (f) => ['rssp', 'authz', 'admin'].some((d) => under(d)(f)),
    forbids: (t, pkg) => !pkg && under('sam')(t),
  },
  { rule: 'use cases (app/) import neither Koa nor pg', from: (f) => under('rssp/app')(f) || under('sam/app')(f), forbids: (t, pkg) => pkg && (t === 'koa' || t === 'pg') },
  {
    rule: 'conformance/ is a black-box kit: it imports no part of the service (it must work against any RSSP)',
    from: under('conformance'),
    forbids: (t, pkg) => !pkg && !under('conformance')(t),
  },
  {
    rule: 'client/ is a client of the public CSC API and imports no service code',
    from: under('client'),
    forbids: (t, pkg) => !pkg && !under('client')(t),
  },
];

// The composition root sees each part through its front door only (issue #15): service.ts imports core/ and the
// four doors, nothing inside a part. (sam/index.ts is imported dynamically, so that an api process loads no PKCS#11.)
const DOORS = ['sam/index.ts', 'authz/index.ts', 'rssp/index.ts', 'admin/index.ts'];
for (const t of graph.get('service.ts')!.local) {
  if (!under('core')(t) && !DOORS.includes(t)) problems.push(`service.ts imports only core/ and the front doors (${DOORS.join(', ')}): it imports ${t}`);
}

// Each part is typed against its own configuration (core/config.ts PART_KEYS): rssp, authz and admin import their
// own section type from core/config.ts and nothing else of it, so none can name Config['sam'] (the token PIN, the
// mail and SMS passwords); and, as a belt, no file outside sam/ and core/config.ts reads `config.sam` or `.sam.pin`.
const OWN_CONFIG: Record<string, string> = { rssp: 'RsspConfig', authz: 'AuthzConfig', admin: 'AdminConfig' };
const NAMED = /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g;
for (const file of graph.keys()) {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const part = file.split('/')[0]!;
  const own = OWN_CONFIG[part];
  if (own) {
    for (const m of text.matchAll(NAMED)) {
      if (!m[2]!.startsWith('.') || path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[2]!)) !== 'core/config.ts') continue;
      const names = m[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean);
      for (const n of names) if (n !== own) problems.push(`${part}/ takes its own configuration (${own}) from core/config.ts, nothing else: ${file} imports ${n}`);
    }
  }
  if (!under('sam')(file) && file !== 'core/config.ts' && /\bconfig\.sam\b|\.sam\.pin\b/.test(text)) {
    problems.push(`only the SAM reads its configuration section: ${file} reads config.sam`);
  }
}

for (const [file, { local, packages }] of graph) {
  for (const r of RULES) {
    if (!r.from(file)) continue;
    for (const t of local) if (r.forbids(t, false)) problems.push(`${r.rule}: ${file} imports ${t}`);
    for (const t of packages) if (r.forbids(t, true)) problems.push(`${r.rule}: ${file} imports ${t}`);
  }
}

// Cycles: depth-first search over local edges; each cycle reported once, from its first file in path order.
const state = new Map<string, 'open' | 'done'>();
const stack: string[] = [];
function visit(f: string): void {
  state.set(f, 'open');
  stack.push(f);
  for (const t of graph.get(f)?.local ?? []) {
    if (!graph.has(t)) continue;
    if (state.get(t) === 'open') problems.push(`import cycle: ${[...stack.slice(stack.indexOf(t)), t].join(' > ')}`);
    else if (!state.has(t)) visit(t);
  }
  stack.pop();
  state.set(f, 'done');
}
for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);

for (const p of problems) console.error(`dependency rule broken: ${p}`);
process.exit(problems.length ? 1 : 0);
