// The SAD's payload (DESIGN §2.2): who (sub), with which key (cid), for which client (azp), for which hashes
// (hashAlg + hsh commitment), how many signatures (n), with which factors (amr), and when.
import { z } from 'zod';

export const SAD_TYP = 'sad+jwt';

export const sadClaimsSchema = z.object({
  sub: z.string().min(1),
  cid: z.string().min(1),
  azp: z.string().min(1),
  hashAlg: z.string().optional(),
  n: z.number().int().min(1),
  hsh: z.string().optional(),
  amr: z.array(z.enum(['pwd', 'otp'])),
  jti: z.string().min(16),
  iat: z.number().int(),
  exp: z.number().int(),
});

export type SadClaims = z.infer<typeof sadClaimsSchema>;
