// What every SAM use case runs on. Built once by createSam (sam/index.ts).
import type { Db } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import type { CertificateAuthority } from '../ca/dev_ca.ts';
import type { Hsm } from '../hsm/hsm.ts';
import type { SamKeys } from './sad/sam_keys.ts';

export type SamDeps = {
  db: Db;
  hsm: Hsm;
  log: Logger;
  ca: CertificateAuthority;
  keys: SamKeys;
  now: () => Date;
  config: { sadLifetimeSeconds: number; maxFailures: number };
};
