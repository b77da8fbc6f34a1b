// CSC v1 §11.2 auth/login: the same exchange as v2 (HTTP Basic, or a refresh token from a rememberMe login) — the
// same throttle, the same step and authz use case, audited the same way; only the body is checked against the v1
// document (its fields are those of v2).
import { login } from '../../actions/auth_login.ts';
import { limitLogin } from '../../steps/rate_limit.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { respond } from '../../steps/respond.ts';
import type { Action } from '../../step.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

export const authLoginV1: Action = [limitLogin, readJsonBody(), validateV1Body('auth/login'), asV2Body('auth/login'), respond(login)];
