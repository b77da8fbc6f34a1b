// The vocabulary of the kit: a check cites the clause it tests, runs against a session, and ends in exactly one of
// pass (with what was seen), fail (with what is wrong) or skip (with why it could not be run).

export type Status = 'pass' | 'fail' | 'skip';

export type CheckResult = {
  id: string;
  group: string;
  title: string;
  /** The clause of CSC v2.0.0.2 (or of a standard it points to) that the check tests. */
  clause: string;
  status: Status;
  /** Pass: what was observed. Fail: what is wrong. Skip: why it was not run. */
  reason: string;
  durationMs: number;
};

/** Thrown by a check that finds the service wrong. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

/** Thrown by a check that cannot be run (missing option, prerequisite failed, feature not offered). */
export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
}

export const fail = (reason: string): never => {
  throw new CheckFailed(reason);
};

export const skip = (reason: string): never => {
  throw new CheckSkipped(reason);
};

/** Fails with every issue found, so one run shows all that is wrong rather than the first thing. */
export function failIfAny(issues: string[]): void {
  if (issues.length) fail(issues.join('; '));
}

export type Check<S> = {
  id: string;
  title: string;
  clause: string;
  /** Resolves to what was observed; throws CheckFailed / CheckSkipped otherwise. */
  run(session: S): Promise<string>;
};

/** A group's checks are built when the group starts, so they can depend on what earlier groups learned. */
export type Group<S> = { name: string; checks(session: S): Check<S>[] };
