// What credentials/info publishes about a key (CSC v2 §11.5 key/len, key/curve), derived from the key type.
import { CURVE_OID } from '../../core/algorithms.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';

export const KEY_INFO: Record<KeyAlgo, { length: number; curve?: string }> = {
  'EC-P256': { length: 256, curve: CURVE_OID['P-256'] },
  'EC-P384': { length: 384, curve: CURVE_OID['P-384'] },
  'RSA-2048': { length: 2048 },
  'RSA-3072': { length: 3072 },
};
