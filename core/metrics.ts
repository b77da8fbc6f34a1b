// Prometheus metrics of one process (issue #10 item 5), with prom-client: what was signed and activated, what was
// refused and why, how long the SAM and the HSM took. Counted by decorators around the ports (meterSam here, the
// HSM's in sam/hsm/metered_hsm.ts) and one Koa middleware (admin/ops_routes.ts), so that no use case knows about
// metrics. Labels are bounded sets (OIDs we accept, SAM codes, CSC error names, route paths): never an identifier.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SAM_PORT_METHODS, SamError, type SignatureActivation } from './sam_port.ts';

/** Seconds; from a software token's fraction of a millisecond to a slow network HSM. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rssp_' });
  const m = {
    registry,
    signatures: new Counter({
      name: 'rssp_signatures_total',
      help: 'Signatures asked of the SAM (one per hash), by signAlgo OID and result (ok or the SAM code)',
      labelNames: ['algorithm', 'result'] as const,
      registers: [registry],
    }),
    activations: new Counter({
      name: 'rssp_activations_total',
      help: 'Credential authorizations (SADs minted or refused), by hashAlgorithmOID and result (ok or the SAM code)',
      labelNames: ['algorithm', 'result'] as const,
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'rssp_refusals_total',
      help: 'Requests answered with an error, by HTTP status, error and route',
      labelNames: ['status', 'error', 'route'] as const,
      registers: [registry],
    }),
    samCall: new Histogram({
      name: 'rssp_sam_call_seconds',
      help: 'Calls of the SAM port, by method and result: the round trip to the SAM process in split mode',
      labelNames: ['method', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    hsmCall: new Histogram({
      name: 'rssp_hsm_call_seconds',
      help: 'PKCS#11 operations, by operation and result',
      labelNames: ['op', 'result'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    hsmSessions: new Gauge({ name: 'rssp_hsm_sessions', help: 'PKCS#11 sessions of the pool, by state (in_use, idle, waiting callers)', labelNames: ['state'] as const, registers: [registry] }),
  };
  return m;
}

const resultOf = (err: unknown) => (err instanceof SamError ? err.code : 'error');
/** Labels come from requests: only OID-shaped values are kept, so that a caller cannot grow the series. */
const oidLabel = (v: unknown) => (typeof v === 'string' && /^[0-9]+(\.[0-9]+){1,20}$/.test(v) ? v : 'other');

/** The SAM port, timed and counted; behaviour unchanged. */
export function meterSam(sam: SignatureActivation, m: Metrics): SignatureActivation {
  const metered: Record<string, unknown> = {};
  for (const name of SAM_PORT_METHODS) {
    const fn = sam[name].bind(sam) as (...a: unknown[]) => Promise<unknown>;
    metered[name] = async (...args: unknown[]) => {
      const end = m.samCall.startTimer({ method: name });
      const cmd = args[0] as { signAlgo?: unknown; hashAlgorithmOID?: unknown; hashes?: unknown[] } | undefined;
      try {
        const out = await fn(...args);
        end({ result: 'ok' });
        count(name, cmd, 'ok');
        return out;
      } catch (err) {
        end({ result: resultOf(err) });
        count(name, cmd, resultOf(err));
        throw err;
      }
    };
  }
  function count(name: keyof SignatureActivation, cmd: { signAlgo?: unknown; hashAlgorithmOID?: unknown; hashes?: unknown[] } | undefined, result: string) {
    if (name === 'signHash') m.signatures.inc({ algorithm: oidLabel(cmd?.signAlgo), result }, Array.isArray(cmd?.hashes) ? cmd.hashes.length : 1);
    if (name === 'activate') m.activations.inc({ algorithm: cmd?.hashAlgorithmOID === undefined ? 'none' : oidLabel(cmd.hashAlgorithmOID), result });
  }
  return metered as unknown as SignatureActivation;
}
