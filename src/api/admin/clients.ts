/**
 * Administration of clients: RFC 7591 metadata in, RFC 7591 §3.2.1's shape out (every field top
 * level; the secret once, beside the metadata, in the answer that created or rotated it). Metadata is
 * validated by the one client validator (clients/validate.ts: Gatehouse's rules, then the provider's
 * own Client schema) before it is saved, so the API can never store a client the provider would
 * refuse to load. Refusals are RFC 7591 §3.2.2's `invalid_client_metadata` (`invalid_redirect_uri`
 * when only redirect URIs are wrong), with `details` per field.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { z } from 'zod';
import {
  defaultResponseTypes,
  generateClientId,
  needsSecret,
  newClientMetadata,
  type ClientMetadataInput,
} from '../../clients/metadata';
import { generateSecret, isReservedClientId, type ClientStore, type StoredClient } from '../../clients/store';
import { validateClientMetadata, type ClientPolicy } from '../../clients/validate';
import { badRequest, conflict, GatehouseError, notFound, type FieldErrors } from '../../errors';
import { validateClientSchema } from '../../oidc/internals';
import { createClientBody, updateClientBody } from '../schemas';
import { validateBody } from '../validation';
import { clientCreatedView, clientView } from './client-view';

/** RFC 7591 §3.2.2: invalid_redirect_uri when only redirect URIs are wrong, else invalid_client_metadata. */
function invalidMetadata(details: FieldErrors): GatehouseError {
  const redirectsOnly = Object.keys(details).every((field) =>
    /^(post_logout_)?redirect_uris(\.|$)/.test(field),
  );
  return new GatehouseError(
    redirectsOnly ? 'invalid_redirect_uri' : 'invalid_client_metadata',
    400,
    'the client metadata is invalid',
    { details },
  );
}

/** The body against its schema; a field's problem is a problem of the metadata. */
function metadataBody<S extends z.ZodObject>(ctx: Context, schema: S): z.output<S> {
  try {
    return validateBody(ctx, schema);
  } catch (err) {
    if (err instanceof GatehouseError && err.code === 'invalid_request' && err.details)
      throw invalidMetadata(err.details);
    throw err;
  }
}

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
  if (Object.keys(problems).length) throw invalidMetadata(problems);
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

/** `public: true` is token_endpoint_auth_method `none`; saying both differently is a contradiction. */
function withPublic(body: z.output<typeof createClientBody>): ClientMetadataInput {
  const { public: isPublic, ...metadata } = body;
  if (isPublic === undefined) return metadata;
  const method = metadata.token_endpoint_auth_method;
  if (method !== undefined && (method === 'none') !== isPublic)
    throw invalidMetadata({ public: `contradicts token_endpoint_auth_method ${method}` });
  return isPublic ? { ...metadata, token_endpoint_auth_method: 'none' } : metadata;
}

export function createClient({ clients, provider, policy }: ClientAdminDeps) {
  return async function createClient(ctx: Context): Promise<void> {
    const input = withPublic(metadataBody(ctx, createClientBody));
    const clientId = input.client_id ?? generateClientId();
    const draft = newClientMetadata(input, clientId, null, Math.floor(Date.now() / 1000));
    // A secret only for a client that uses one (RFC 7591 §3.2.1), as the provider's registration does.
    const secret = needsSecret(draft) ? generateSecret() : null;
    const metadata: StoredClient = secret ? { ...draft, client_secret: secret } : draft;
    // Validated before anything is written; the id's availability after, as before.
    await assertValidMetadata(provider, metadata, policy);
    if (isReservedClientId(clientId) || !(await clients.insert(metadata)))
      throw conflict('the client_id is taken');
    ctx.status = 201;
    ctx.set('Location', `/api/admin/clients/${encodeURIComponent(clientId)}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = clientCreatedView(metadata, secret);
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
    const body = metadataBody(ctx, updateClientBody);
    if (Object.keys(body).length === 0) throw badRequest('the body names no field to update');
    const { scope, ...changes } = body;
    const next: StoredClient = { ...current, ...(changes as Partial<StoredClient>) };
    // Response types follow new grants unless given, as a new client's do (clients/metadata.ts).
    if (body.grant_types !== undefined && body.response_types === undefined)
      next.response_types = defaultResponseTypes(body.grant_types);
    if (scope === null) delete next.scope;
    else if (scope !== undefined) next.scope = scope;
    // A secret is generated only at creation and rotation, where the answer can show it once.
    if (needsSecret(next) && typeof next.client_secret !== 'string')
      throw invalidMetadata({
        token_endpoint_auth_method: `${next.token_endpoint_auth_method} needs a client secret, and this client has none: register a new client`,
      });
    if (!needsSecret(next)) delete next.client_secret;
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
    const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
    if (!needsSecret(client))
      throw badRequest(
        method === 'none' ? 'a public client has no secret' : `a ${method} client has no secret`,
      );
    const secret = await deps.clients.rotateSecret(client.client_id);
    if (!secret) throw badRequest('a public client has no secret');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { client_id: client.client_id, client_secret: secret };
  };
}
