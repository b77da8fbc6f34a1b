// A client compatibility profile: what one real client requires of a server, as named checks, so that any RSSP can
// be tested for "will this client work against it" and not only for conformance to the text of the specification.
import type { Check, Group } from '../check.ts';
import type { Session } from '../session.ts';

export type Profile = {
  /** What the profile stands for and where its requirements come from. */
  title: string;
  /** The specification (version) the client speaks, for the report. */
  specification: string;
  groups: Group<Session>[];
};

/** Some checks of an existing group, in the group's order: profiles reuse the kit's checks where they fit. */
export function pick(group: Group<Session>, ids: readonly string[], name = group.name): Group<Session> {
  return {
    name,
    checks: (s) => {
      const all = group.checks(s);
      const missing = ids.filter((id) => !all.some((c) => c.id === id));
      if (missing.length) throw new Error(`conformance profile: no check ${missing.join(', ')} in group ${group.name}`);
      return all.filter((c) => ids.includes(c.id));
    },
  };
}

export const group = (name: string, checks: Check<Session>[]): Group<Session> => ({ name, checks: () => checks });
