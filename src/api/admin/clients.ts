/**
 * Administration of clients. Metadata is built by the client store and validated by the one client
 * validator (clients/validate.ts: Gatehouse's rules, then the provider's own Client schema) before it
 * is saved, so the API can never store a client the provider would refuse to load. The secret appears once, in the answer that created or rotated it.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import {
  buildClientMetadata,
  isReservedClientId,
  type ClientStore,
  type StoredClient,
} from '../../clients/store';
import { STAND_IN_SECRET, validateClientMetadata, type ClientPolicy } from '../../clients/validate';
import { badRequest, conflict, notFound } from '../../errors';
import { validateClientSchema } from '../../oidc/internals';
import { createClientBody, updateClientBody } from '../schemas';
import { validateBody } from '../validation';
import { clientView } from '../views';

/** The one client validator (shared with the CLI); its problems become a 400 naming each property. */
async function assertValidMetadata(
  provider: Provider,
  metadata: StoredClient,
  policy: ClientPolicy,
): Promise<void> {
  const problems = await validateClientMetadata(metadata, {
    policy,
    checkSchema: (candidate) => validateClientSchema(provider, candidate),
  });
  if (Object.keys(problems).length) throw badRequest('the client metadata is invalid', problems);
}

/** What the client handlers use: the store, the provider's schema check, the deployment's policy. */
export interface ClientAdminDeps {
  clients: ClientStore;
  provider: Provider;
  policy: ClientPolicy;
}

async function loadClient({ clients }: ClientAdminDeps, ctx: Context): Promise<StoredClient> {
  const client = await clients.findMetadata(String(ctx.params.clientId));
  if (!client) throw notFound('no such client');
  return client;
}

export function listClients({ clients }: ClientAdminDeps) {
  return async function listClients(ctx: Context): Promise<void> {
    ctx.body = { clients: (await clients.list()).map(clientView) };
  };
}

export function createClient({ clients, provider, policy }: ClientAdminDeps) {
  return async function createClient(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createClientBody);
    const input = {
      clientId: body.client_id,
      name: body.client_name,
      redirectUris: body.redirect_uris,
      postLogoutRedirectUris: body.post_logout_redirect_uris,
      grantTypes: body.grant_types,
      public: body.public,
      firstParty: body.first_party,
      scope: body.scope,
    };
    // Validate what the store will build (with a stand-in secret) before anything is written.
    await assertValidMetadata(
      provider,
      buildClientMetadata(input, body.client_id ?? 'validation', body.public ? null : STAND_IN_SECRET),
      policy,
    );
    if (
      body.client_id &&
      (isReservedClientId(body.client_id) || (await clients.findMetadata(body.client_id)))
    )
      throw conflict('the client_id is taken');
    const { client, secret } = await clients.create(input);
    ctx.status = 201;
    ctx.set('Location', `/api/admin/clients/${encodeURIComponent(client.client_id)}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { client: clientView(client), client_secret: secret };
  };
}

export function getClient(deps: ClientAdminDeps) {
  return async function getClient(ctx: Context): Promise<void> {
    ctx.body = clientView(await loadClient(deps, ctx));
  };
}

export function updateClient(deps: ClientAdminDeps) {
  return async function updateClient(ctx: Context): Promise<void> {
    const current = await loadClient(deps, ctx);
    const body = validateBody(ctx, updateClientBody);
    if (Object.keys(body).length === 0) throw badRequest('the body names no field to update');
    const changes: Partial<StoredClient> = {};
    if (body.client_name !== undefined) changes.client_name = body.client_name;
    if (body.redirect_uris !== undefined) changes.redirect_uris = body.redirect_uris;
    if (body.post_logout_redirect_uris !== undefined)
      changes.post_logout_redirect_uris = body.post_logout_redirect_uris;
    if (body.grant_types !== undefined) {
      changes.grant_types = body.grant_types;
      // Response types follow the grants, as buildClientMetadata sets them.
      const redirects = body.grant_types.some((g) => g === 'authorization_code' || g === 'implicit');
      changes.response_types = redirects ? ['code'] : [];
    }
    const next: StoredClient = { ...current, ...changes };
    if (body.scope === null) delete next.scope;
    else if (body.scope !== undefined) next.scope = body.scope;
    await assertValidMetadata(deps.provider, next, deps.policy);
    await deps.clients.save(next);
    ctx.body = clientView(next);
  };
}

export function deleteClient(deps: ClientAdminDeps) {
  return async function deleteClient(ctx: Context): Promise<void> {
    const client = await loadClient(deps, ctx);
    // Its service keys go with it (foreign key); its tokens stop working because the client is gone.
    await deps.clients.delete(client.client_id);
    ctx.status = 204;
  };
}

export function rotateClientSecret(deps: ClientAdminDeps) {
  return async function rotateClientSecret(ctx: Context): Promise<void> {
    const client = await loadClient(deps, ctx);
    const secret = await deps.clients.rotateSecret(client.client_id);
    if (!secret) throw badRequest('a public client has no secret');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { client_id: client.client_id, client_secret: secret };
  };
}
