/**
 * What one entry of the API's route table says: method, path, the handler's name (verb-noun), who
 * may call it, and the shapes it reads and answers. The routers bind handlers to these entries and
 * the OpenAPI document is generated from them, so no route can exist without being described.
 */
import type { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * bearer: a user's access token; admin: bearer + scope `admin` + role `admin`; validate-token:
 * bearer, client credentials or a service key; service-key: the `X-Service-Key` of a client.
 */
export type Access = 'public' | 'bearer' | 'admin' | 'validate-token' | 'service-key';

export interface RouteSpec {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  access: Access;
  /** The scope a bearer token needs (admin routes: `admin`). */
  scope?: string;
  body?: z.ZodObject;
  query?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** The OpenAPI tag; by default `admin` for admin routes and `user` for the others. */
  tag?: string;
}

export const noContent = { 204: { description: 'done' } };
