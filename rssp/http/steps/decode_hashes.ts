// `hashes` of credentials/authorize (CSC v2 §11.6) and signatures/signHash (§11.10): base64 of raw digests, in
// either alphabet (DESIGN §8). Any element that is not strict base64 refuses the whole request. This is the one place
// where digests become bytes (issue #12 item 3): every later check (SAD binding, lengths) sees bytes, never text, so
// the same digest in another spelling is the same digest. /csc/v1 also takes percent-encoded base64 (core/base64.ts).
import { CscError } from '../../../core/errors.ts';
import { decodeBase64, decodePercentEncodedBase64 } from '../../../core/base64.ts';
import type { Step } from '../step.ts';

export function decodeHashes(opts: { required: boolean; percentEncoded?: boolean }): Step {
  const decode = opts.percentEncoded ? decodePercentEncodedBase64 : decodeBase64;
  return (ctx) => {
    const raw = ctx.state.body.hashes;
    if (raw === undefined) {
      if (opts.required) throw new CscError('hashesRequired');
      return;
    }
    if (!Array.isArray(raw)) throw new CscError('hashesRequired');
    if (raw.length === 0) throw new CscError('emptyHashes');
    ctx.state.hashes = raw.map((h) => {
      const bytes = typeof h === 'string' ? decode(h) : null;
      if (!bytes) throw new CscError('invalidBase64Hash');
      return bytes;
    });
  };
}
