// The client compatibility profiles of `npm run conformance -- --profile NAME`.
import type { ProfileName } from '../options.ts';
import { documensoV1Profile } from './documenso_v1.ts';
import { eudiRqesProfile } from './eudi_rqes.ts';
import type { Profile } from './profile.ts';
import { pyhankoV1Profile } from './pyhanko_v1.ts';
import { strictProfile } from './strict.ts';

export const PROFILES: Record<ProfileName, Profile> = {
  'eudi-rqes': eudiRqesProfile,
  'documenso-v1': documensoV1Profile,
  'pyhanko-v1': pyhankoV1Profile,
  strict: strictProfile,
};
