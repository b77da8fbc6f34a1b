// Who owns a credential: a person (a user of authz, id a UUID) or an organisation (an OAuth client marked as seal
// owner, CSC v2 §8.5). Both kinds travel as one owner id string, so that every check that compares owners (rssp's
// credentials/list and ownership, the SAM's SAD `sub` and credential owner) applies to seals unchanged. An
// organisation's id is `org:` + its client id: user ids are UUIDs, which never contain a colon, so the two kinds
// can never collide.

export type OwnerKind = 'person' | 'organisation';

const ORG_PREFIX = 'org:';

/** The owner id of the organisation that is OAuth client `clientId`. */
export function organisationOwnerId(clientId: string): string {
  if (!clientId) throw new TypeError('an organisation owner needs a client id');
  return `${ORG_PREFIX}${clientId}`;
}

export function ownerKind(ownerId: string): OwnerKind {
  return ownerId.startsWith(ORG_PREFIX) ? 'organisation' : 'person';
}

export const isOrganisationOwner = (ownerId: string): boolean => ownerKind(ownerId) === 'organisation';

/** The client id of an organisation owner id, null for a person. */
export function organisationClientId(ownerId: string): string | null {
  return isOrganisationOwner(ownerId) ? ownerId.slice(ORG_PREFIX.length) : null;
}
