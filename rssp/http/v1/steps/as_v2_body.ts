// After the v1 body has been validated against csc-v1.yaml, its fields are given their v2 names so that the very
// same v2 steps (and the same SAM calls) run behind /csc/v1: no second signing path. Only fields that v1 and v2
// both define with the same meaning are renamed; everything else keeps its name.
import type { Step } from '../../step.ts';

/** v1 name → v2 name (CSC v1 §11.6, §11.9 against CSC v2 §11.6, §11.10). */
const RENAMES: Record<string, string> = {
  hash: 'hashes',
  hashAlgo: 'hashAlgorithmOID',
};

export function asV2Body(): Step {
  return (ctx) => {
    const v1 = ctx.state.body;
    const v2: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(v1)) {
      // A v2 name sent to /csc/v1 is not a v1 parameter: dropped, so that it cannot override the v1 one.
      if (Object.values(RENAMES).includes(name)) continue;
      v2[Object.hasOwn(RENAMES, name) ? RENAMES[name]! : name] = value;
    }
    ctx.state.body = v2;
  };
}
