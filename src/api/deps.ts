/**
 * The narrow views of the stores that the API's handlers are built from. Each handler factory takes
 * an object naming only what it uses (`updateProfile({ accounts })`), typed with these; router.ts
 * builds those objects from the node's stores. No handler sees the node as a whole.
 */
import type { RoleStore } from '../accounts/roles';
import type { AccountStore } from '../accounts/store';
import type { ServiceKeyStore } from '../clients/service-keys';
import type { ClientStore } from '../clients/store';

/** Looks an account up by id. */
export type AccountReader = Pick<AccountStore, 'findById'>;

/** Tells which of the given role names exist. */
export type RoleChecker = Pick<RoleStore, 'exists'>;

/** Looks a client's stored metadata up by its id. */
export type ClientReader = Pick<ClientStore, 'findMetadata'>;

/** The administration of a client's X-Service-Key credentials. */
export type ServiceKeyAdmin = Pick<ServiceKeyStore, 'list' | 'create' | 'revoke'>;
