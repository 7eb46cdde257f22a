/** Administration of a client's X-Service-Key credentials: list, create (the key shown once), revoke. */
import type { Context } from 'koa';
import { notFound } from '../../errors';
import type { ClientReader, ServiceKeyAdmin } from '../deps';
import { serviceKeyView } from '../views';

/** What each handler here uses: the client the path names and that client's keys. */
export interface ServiceKeyDeps {
  clients: ClientReader;
  serviceKeys: ServiceKeyAdmin;
}

async function clientIdOf({ clients }: ServiceKeyDeps, ctx: Context): Promise<string> {
  const client = await clients.findMetadata(String(ctx.params.clientId));
  if (!client) throw notFound('no such client');
  return client.client_id;
}

export function listServiceKeys(deps: ServiceKeyDeps) {
  return async function listServiceKeys(ctx: Context): Promise<void> {
    const clientId = await clientIdOf(deps, ctx);
    ctx.body = { service_keys: (await deps.serviceKeys.list(clientId)).map(serviceKeyView) };
  };
}

export function createServiceKey(deps: ServiceKeyDeps) {
  return async function createServiceKey(ctx: Context): Promise<void> {
    const clientId = await clientIdOf(deps, ctx);
    const { key, serviceKey } = await deps.serviceKeys.create(clientId);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { service_key: serviceKeyView(serviceKey), key };
  };
}

/** Revoking is idempotent: a key already revoked answers 204 again. */
export function revokeServiceKey(deps: ServiceKeyDeps) {
  return async function revokeServiceKey(ctx: Context): Promise<void> {
    const clientId = await clientIdOf(deps, ctx);
    const keys = await deps.serviceKeys.list(clientId);
    const key = keys.find((k) => k.id === ctx.params.keyId);
    if (!key) throw notFound('no such service key');
    await deps.serviceKeys.revoke(key.id);
    ctx.status = 204;
  };
}
