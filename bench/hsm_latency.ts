// The remote-HSM mode of the benchmark (issue #13): preloaded into the process that holds the token — the service, or
// the SAM when split — by bench/run.ts only (`node --import ./.build/bench/bench/hsm_latency.js …`), and imported by
// bench/raw.ts for the raw reference. BENCH_HSM_LATENCY_MS (milliseconds, decimals allowed) is read here and nowhere
// else: it is not a configuration key of the service. Each async PKCS#11 call (sign, verify, encrypt, decrypt, key
// generation) then takes that much longer while holding its session, as with a network HSM one round trip away
// (sam/hsm/pkcs11/instrument.ts). Unset or 0: nothing is changed.
import { delayAsyncCalls } from '../sam/hsm/pkcs11/instrument.ts';

export const injectedLatencyMs = Number(process.env.BENCH_HSM_LATENCY_MS || 0);
if (!(injectedLatencyMs >= 0)) throw new Error(`BENCH_HSM_LATENCY_MS must be a number of milliseconds ≥ 0, got ${process.env.BENCH_HSM_LATENCY_MS}`);
delayAsyncCalls(injectedLatencyMs);
