// The deployment files (issue #10 item 4) are read as YAML and checked against what the service needs: there is no
// container engine or cluster here, so this is where a typo in a variable name, a port that does not match, or a SAM
// reachable from outside would be caught.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_KEYS } from '../../../core/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
/** Variables the admin CLI reads (admin/cli.ts) besides the service's own. */
const CLI_KEYS = ['ADMIN_URL'];

type ComposeService = {
  build?: { target?: string };
  image?: string;
  environment?: Record<string, string>;
  networks?: string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  network_mode?: string;
};

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean }>;
};
const svc = compose.services;

describe('docker-compose.yml', () => {
  it('has the split topology: postgres, redis, one SAM, two api replicas and a load balancer', () => {
    expect(Object.keys(svc).sort()).toEqual(['api1', 'api2', 'init', 'lb', 'postgres', 'redis', 'sam']);
    expect(svc.sam!.environment!.SERVICES).toBe('sam');
    expect(svc.api1!.environment!.SERVICES).toBe('api');
    expect(svc.api2!.environment).toEqual(svc.api1!.environment);
  });

  it('builds the SAM from the image with SoftHSM and the api from the one without', () => {
    expect(svc.sam!.build!.target).toBe('sam');
    expect(svc.api1!.build!.target).toBe('api');
    const dockerfile = read('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[2], m[1]]);
    expect(Object.fromEntries(stages)).toMatchObject({ api: 'node:22-bookworm-slim', sam: 'api' });
    const apiStage = dockerfile.slice(dockerfile.indexOf('AS api'), dockerfile.indexOf('AS sam'));
    expect(apiStage).not.toMatch(/softhsm/);
    expect(apiStage).toMatch(/^USER node$/m);
    expect(dockerfile.slice(dockerfile.indexOf('AS sam'))).toMatch(/softhsm2[\s\S]*^USER node$/m);
  });

  it('uses only variables the service reads', () => {
    for (const name of ['sam', 'api1']) {
      for (const key of Object.keys(svc[name]!.environment!)) expect([...CONFIG_KEYS, ...CLI_KEYS], `${name}: ${key}`).toContain(key);
    }
  });

  it('points the api at the SAM by its service name and listening port, with certificates from a mounted volume', () => {
    const api = svc.api1!.environment!;
    const sam = svc.sam!.environment!;
    const url = new URL(api.SAM_URL!);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe('sam');
    expect(sam.SAM_LISTEN).toBe(`0.0.0.0:${url.port}`);
    // tls:dev in `init` names the SAM's certificate for this host.
    expect(JSON.stringify(svc.init)).toContain('tls:dev --out /secrets --host sam');
    for (const [s, files] of [['api1', [api.SAM_TLS_CA, api.SAM_TLS_CERT, api.SAM_TLS_KEY]], ['sam', [sam.SAM_TLS_CA, sam.SAM_TLS_CERT, sam.SAM_TLS_KEY]]] as const) {
      const mounts = svc[s]!.volumes!.map((v) => v.split(':')[1]!);
      for (const f of files) expect(mounts.some((m) => f!.startsWith(`${m}/`)), `${s}: ${f}`).toBe(true);
    }
  });

  it('keeps the SAM, PostgreSQL and Redis on an internal network, publishing only the load balancer', () => {
    expect(compose.networks.backend!.internal).toBe(true);
    expect(svc.sam!.networks).toEqual(['backend']);
    expect(svc.postgres!.networks).toEqual(['backend']);
    expect(svc.redis!.networks).toEqual(['backend']);
    expect(svc.api1!.networks).toEqual(['edge', 'backend']);
    const published = Object.entries(svc).filter(([, s]) => s.ports).map(([n]) => n);
    expect(published).toEqual(['lb']);
    expect(svc.init!.network_mode).toBe('none');
  });

  it('connects each part with its own database role, made by scripts/db-roles.sql at first start', () => {
    expect(new URL(svc.sam!.environment!.DATABASE_URL!).username).toBe('rssp_sam');
    expect(new URL(svc.api1!.environment!.DATABASE_URL!).username).toBe('rssp_api');
    expect(svc.postgres!.volumes).toContain('./scripts/db-roles.sql:/rssp/db-roles.sql:ro');
    expect(read('deploy/compose/initdb.sh')).toContain('-f /rssp/db-roles.sql');
  });

  it('balances over both replicas by their readiness, and keeps /admin and /metrics inside', () => {
    const cfg = read('deploy/compose/haproxy.cfg');
    expect(cfg).toMatch(/option httpchk GET \/readyz/);
    // The proxy appends the client's address, and the replicas believe exactly that one entry.
    expect(cfg).toMatch(/^\s*option forwardfor$/m);
    expect(svc.api1!.environment!.TRUST_PROXY).toBe('1');
    expect(svc.api1!.environment!.ADMIN_LISTEN).toMatch(/^127\.0\.0\.1:/);
    expect([...cfg.matchAll(/^\s*server (\S+) (\S+):8080 check/gm)].map((m) => [m[1], m[2]])).toEqual([['api1', 'api1'], ['api2', 'api2']]);
    expect(cfg).toMatch(/http-request deny .*path_beg \/admin.*path \/metrics/);
    expect(Object.keys(svc.lb!.depends_on!).sort()).toEqual(['api1', 'api2']);
    for (const s of ['sam', 'api1']) expect(svc[s]!.healthcheck!.test.join(' ')).toContain('/readyz');
  });
});

type K8sDoc = { kind: string; metadata: { name: string }; spec?: any; stringData?: Record<string, string>; type?: string };
const k8s = (f: string) => parseAllDocuments(read(`deploy/k8s/${f}`)).map((d) => d.toJS() as K8sDoc);

describe('deploy/k8s', () => {
  const docs = [...k8s('sam.yaml'), ...k8s('api.yaml'), ...k8s('networkpolicy.yaml')];
  const byName = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  const deployments = docs.filter((d) => d.kind === 'Deployment');

  it('lists every manifest in the kustomization', () => {
    expect(parse(read('deploy/k8s/kustomization.yaml')).resources).toEqual(['sam.yaml', 'api.yaml', 'networkpolicy.yaml']);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['rssp-api', 'rssp-sam']);
  });

  it('runs every container non-root, read-only, with readiness and liveness probes on /readyz and /healthz', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
      for (const c of pod.containers) {
        expect(c.readinessProbe.httpGet.path).toBe('/readyz');
        expect(c.livenessProbe.httpGet.path).toBe('/healthz');
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        for (const e of c.env) expect(CONFIG_KEYS, `${d.metadata.name}: ${e.name}`).toContain(e.name);
      }
    }
  });

  it('keeps the SAM at one replica on its token volume, with its PIN from a Secret', () => {
    const sam = byName('Deployment', 'rssp-sam').spec;
    expect(sam.replicas).toBe(1);
    expect(sam.strategy.type).toBe('Recreate');
    const pod = sam.template.spec;
    expect(pod.volumes.find((v: any) => v.name === 'token').persistentVolumeClaim.claimName).toBe(byName('PersistentVolumeClaim', 'rssp-sam-token').metadata.name);
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.SERVICES).toBe('sam');
    expect(env.SAM_PIN).toBeUndefined();
    expect(env.SAM_PIN_FILE).toMatch(/^\/run\/secrets\/rssp-sam\//);
    expect(pod.volumes.find((v: any) => v.name === 'pin').secret.secretName).toBe('rssp-sam');
  });

  it('points the api replicas at the SAM Service port', () => {
    const api = byName('Deployment', 'rssp-api').spec;
    expect(api.replicas).toBeGreaterThanOrEqual(2);
    const env = Object.fromEntries(api.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const url = new URL(env.SAM_URL);
    const samService = byName('Service', url.hostname);
    expect(samService.spec.ports.map((p: any) => p.port)).toContain(Number(url.port));
  });

  it('lets only the api pods reach the SAM, on its mutual-TLS port', () => {
    const np = byName('NetworkPolicy', 'rssp-sam').spec;
    const samLabels = byName('Deployment', 'rssp-sam').spec.template.metadata.labels;
    const apiLabels = byName('Deployment', 'rssp-api').spec.template.metadata.labels;
    expect(np.podSelector.matchLabels).toEqual(samLabels);
    expect(np.policyTypes).toContain('Ingress');
    expect(np.ingress).toEqual([{ from: [{ podSelector: { matchLabels: apiLabels } }], ports: [{ protocol: 'TCP', port: 9443 }] }]);
  });

  it('ships Secrets as placeholders only', () => {
    for (const s of k8s('secrets.example.yaml')) {
      for (const [key, value] of Object.entries(s.stringData ?? {})) expect(value, `${s.metadata.name}.${key}`).toMatch(/<[^>]+>/);
    }
  });
});
