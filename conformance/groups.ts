// The kit's default checks, group by group, in the order they run (each builds on what the earlier ones learned).
import type { Group } from './check.ts';
import { authGroup } from './checks/auth.ts';
import { credentialsGroup } from './checks/credentials.ts';
import { errorsGroup } from './checks/errors.ts';
import { infoGroup } from './checks/info.ts';
import { sessionEndGroup } from './checks/session_end.ts';
import { signingGroup } from './checks/signing.ts';
import { timestampGroup } from './checks/timestamp.ts';
import type { Session } from './session.ts';

export const GROUPS: Group<Session>[] = [infoGroup, authGroup, credentialsGroup, errorsGroup, signingGroup, timestampGroup, sessionEndGroup];
