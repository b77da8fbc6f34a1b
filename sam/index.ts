// The SAM's front door for the composition root (service.ts): given only its own configuration (core/config.ts
// SamConfig), opens the token (the development SoftHSM token under DATA_DIR when PKCS11_MODULE is unset), builds
// the SAM, its audit trail and its notifier, and says what the purge of its schema is; startSamServer serves it over
// mutual TLS (SERVICES=sam). service.ts imports this file dynamically, so that a process running SERVICES=api never
// loads pkcs11js or any PKCS#11 library.
import type { AuditTrail } from '../core/audit_port.ts';
import type { SamConfig } from '../core/config.ts';
import type { Db } from '../core/db.ts';
import type { Logger } from '../core/log.ts';
import type { Metrics } from '../core/metrics.ts';
import type { PurgeJob } from '../core/purge.ts';
import type { SignatureActivation } from '../core/sam_port.ts';
import { ensureDevToken } from '../softhsm-config/dev_token.ts';
import { SAD_KEY_LABEL } from './app/sad/sam_keys.ts';
import { createAuditTrail } from './audit/trail.ts';
import { meterHsm } from './hsm/metered_hsm.ts';
import { openPkcs11Hsm } from './hsm/pkcs11/index.ts';
import { createSamPartsOnHsm } from './assemble.ts';
import { purgeSam } from './store/purge.ts';
import { createNotifier } from './notify/create_notifier.ts';
import { outboxDir, readOutbox } from './notify/outbox_notifier.ts';
import { openTsa } from './tsa/open_tsa.ts';

export { startSamServer } from './http/server.ts';

export type Sam = {
  sam: SignatureActivation;
  audit: AuditTrail;
  /** Readiness of what the SAM depends on: each throws when its part cannot be used. */
  checks: { postgres(): Promise<unknown>; hsm(): Promise<unknown> };
  purge: PurgeJob;
  /** The development outbox of this process's notifier (messages not really sent). */
  outbox(filter: { username?: string }): ReturnType<typeof readOutbox>;
  close(): Promise<void>;
};

export async function createSam(config: SamConfig, deps: { db: Db; log: Logger; metrics: Metrics }): Promise<Sam> {
  const { db, log } = deps;
  let { module, pin } = config.sam;
  if (!module) {
    const dev = await ensureDevToken({ dataDir: config.dataDir, label: config.sam.tokenLabel });
    module = dev.module;
    pin ??= dev.pin;
    log.warn({ module }, 'PKCS11_MODULE is not set: using a SoftHSM2 token under DATA_DIR (development only)');
  }
  if (!pin) throw new Error('SAM_PIN or SAM_PIN_FILE is required with PKCS11_MODULE');
  const token = await openPkcs11Hsm({ module, tokenLabel: config.sam.tokenLabel, pin, sessions: config.sam.sessions, log });
  const hsm = meterHsm(token, deps.metrics);
  try {
    // Out-of-band one-time passwords (CSC v2 §11.8): SMTP, SMS gateway, or the development outbox.
    // One TSA (TSA_URL, or the SAM's own) for signatures/timestamp and for the audit checkpoints.
    const tsa = await openTsa({ db, hsm, config: config.sam.tsa });
    const { port: sam, purgeExpiredOneTime } = await createSamPartsOnHsm({
      db, hsm, config: config.sam, log, tsa,
      notifier: createNotifier(config.sam.notify, { dataDir: config.dataDir, production: config.env === 'production' }, log),
    });
    const audit = await createAuditTrail({ db, hsm, log, config: config.sam.audit, tsa });
    const expiredBefore = (now: Date) => new Date(now.getTime() - config.purge.afterSeconds * 1000);
    const challengeWindowMs = (config.sam.otpChallenge?.windowSeconds ?? 0) * 1000;
    return {
      sam,
      audit,
      checks: {
        postgres: () => db.query('SELECT 1'),
        hsm: () => hsm.findKeyPair(SAD_KEY_LABEL),
      },
      purge: async (q, now) => ({
        ...(await purgeSam(q, {
          expiredBefore: expiredBefore(now),
          challengesBefore: new Date(Math.min(expiredBefore(now).getTime(), now.getTime() - challengeWindowMs)),
        })),
        // One-time credentials (CSC v2.2) go as soon as their certificate has expired: keys, not rows of state.
        'sam.credentials (one-time, expired)': await purgeExpiredOneTime(),
      }),
      outbox: (filter) => readOutbox(outboxDir(config.dataDir), filter),
      async close() {
        await audit.close();
        await token.close();
      },
    };
  } catch (err) {
    await token.close().catch(() => {});
    throw err;
  }
}
