// The Hsm with every token operation timed (rssp_hsm_call_seconds) and its session pool published
// (rssp_hsm_sessions), for the metrics of issue #10 item 5. Behaviour unchanged: results and errors pass through.
import type { Metrics } from '../../core/metrics.ts';
import type { Hsm } from './hsm.ts';
import { HsmError } from './hsm.ts';

const TIMED = ['generateKeyPair', 'destroyKeyPair', 'findKeyPair', 'signDigest', 'verifyDigest', 'ensureSecretKey', 'encrypt', 'decrypt'] as const;

export function meterHsm(hsm: Hsm, m: Metrics): Hsm {
  const metered: Hsm = Object.create(hsm);
  for (const op of TIMED) {
    const fn = (hsm[op] as (...a: unknown[]) => Promise<unknown>).bind(hsm);
    (metered as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
      const end = m.hsmCall.startTimer({ op });
      try {
        const out = await fn(...args);
        end({ result: 'ok' });
        return out;
      } catch (err) {
        end({ result: err instanceof HsmError ? err.ckr : 'error' });
        throw err;
      }
    };
  }
  // Read at scrape time: prom-client calls collect() of a gauge before it renders it.
  const gauge = m.hsmSessions as typeof m.hsmSessions & { collect?: () => void };
  gauge.collect = () => {
    const s = hsm.sessions();
    m.hsmSessions.set({ state: 'in_use' }, s.inUse);
    m.hsmSessions.set({ state: 'idle' }, s.size - s.inUse);
    m.hsmSessions.set({ state: 'waiting' }, s.waiting);
  };
  return metered;
}
