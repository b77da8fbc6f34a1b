// CSC v1 §11.3 auth/revoke: as in v2 (RFC 7009 semantics, 204, the same step and authz use case), with the body
// checked against the v1 document (its fields are those of v2).
import { revoke } from '../../actions/auth_revoke.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respondNoContent } from '../../steps/respond.ts';
import type { Action } from '../../step.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

export const authRevokeV1: Action = [
  requireBearer(),
  requireScope('service', 'credential'),
  readJsonBody(),
  validateV1Body('auth/revoke'),
  asV2Body('auth/revoke'),
  revoke,
  respondNoContent(),
];
