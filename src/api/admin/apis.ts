/**
 * Administration of the registry of APIs (resource servers, RFC 8707): list, create, read, update,
 * delete. An API is named in the path by its identifier, URL-encoded as one segment. The store
 * validates (400 with per-field details) and refuses a second registration of an identifier (409).
 */
import type { Context } from 'koa';
import type { z } from 'zod';
import type { ResourceServer, ResourceServerStore } from '../../clients/resource-servers';
import { notFound } from '../../errors';
import {
  API_DEFAULTS,
  APIS_PATHS,
  createApiBody,
  updateApiBody,
  type apiResponse,
} from '../resource-server-schemas';
import { validateBody } from '../validation';

type Deps = { resourceServers: ResourceServerStore };

export function apiView(api: ResourceServer): z.infer<typeof apiResponse> {
  return {
    identifier: api.identifier,
    name: api.name,
    scopes: api.scopes,
    format: api.format,
    ttl_seconds: api.ttlSeconds,
    created_at: api.createdAt.toISOString(),
  };
}

/** Where an API lives: its identifier URL-encoded as one path segment. */
export function apiLocation(identifier: string): string {
  return APIS_PATHS.api.replace(':identifier', encodeURIComponent(identifier));
}

function identifierOf(ctx: Context): string {
  return String(ctx.params.identifier);
}

export function listApis({ resourceServers }: Deps) {
  return async function listApis(ctx: Context): Promise<void> {
    ctx.body = { apis: (await resourceServers.list()).map(apiView) };
  };
}

export function createApi({ resourceServers }: Deps) {
  return async function createApi(ctx: Context): Promise<void> {
    const body = validateBody(ctx, createApiBody);
    const api = await resourceServers.create({
      identifier: body.identifier,
      name: body.name ?? null,
      scopes: body.scopes,
      format: body.format ?? API_DEFAULTS.format,
      ttlSeconds: body.ttl_seconds ?? API_DEFAULTS.ttlSeconds,
    });
    ctx.status = 201;
    ctx.set('Location', apiLocation(api.identifier));
    ctx.body = apiView(api);
  };
}

export function getApi({ resourceServers }: Deps) {
  return async function getApi(ctx: Context): Promise<void> {
    const api = await resourceServers.find(identifierOf(ctx));
    if (!api) throw notFound('no such API');
    ctx.body = apiView(api);
  };
}

export function updateApi({ resourceServers }: Deps) {
  return async function updateApi(ctx: Context): Promise<void> {
    const body = validateBody(ctx, updateApiBody);
    const api = await resourceServers.update(identifierOf(ctx), {
      ...(body.name !== undefined && { name: body.name }),
      ...(body.scopes !== undefined && { scopes: body.scopes }),
      ...(body.format !== undefined && { format: body.format }),
      ...(body.ttl_seconds !== undefined && { ttlSeconds: body.ttl_seconds }),
    });
    if (!api) throw notFound('no such API');
    ctx.body = apiView(api);
  };
}

export function deleteApi({ resourceServers }: Deps) {
  return async function deleteApi(ctx: Context): Promise<void> {
    if (!(await resourceServers.delete(identifierOf(ctx)))) throw notFound('no such API');
    ctx.status = 204;
  };
}
