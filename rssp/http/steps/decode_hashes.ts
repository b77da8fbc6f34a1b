// `hashes` of credentials/authorize (CSC v2 §11.6) and signatures/signHash (§11.10): base64 of raw digests, in
// either alphabet (DESIGN §8). Any element that is not strict base64 refuses the whole request.
import { CscError } from '../../../core/errors.ts';
import { decodeBase64 } from '../../../core/base64.ts';
import type { Step } from '../step.ts';

export function decodeHashes(opts: { required: boolean }): Step {
  return (ctx) => {
    const raw = ctx.state.body.hashes;
    if (raw === undefined) {
      if (opts.required) throw new CscError('hashesRequired');
      return;
    }
    if (!Array.isArray(raw)) throw new CscError('hashesRequired');
    if (raw.length === 0) throw new CscError('emptyHashes');
    ctx.state.hashes = raw.map((h) => {
      const bytes = typeof h === 'string' ? decodeBase64(h) : null;
      if (!bytes) throw new CscError('invalidBase64Hash');
      return bytes;
    });
  };
}
