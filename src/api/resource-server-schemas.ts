/**
 * The shapes of the registry of APIs' routes (/api/admin/apis, RFC 8707 resource servers), read by
 * the same OpenAPI generator as schemas.ts. Types only: what an identifier, a scope or a lifetime may
 * be is the store's to say (clients/resource-servers.ts), with per-field details under the same names.
 */
import { z } from 'zod';
import { TTL_RANGE } from '../clients/resource-servers';

export const APIS_PATHS = {
  apis: '/api/admin/apis',
  /** The identifier URL-encoded as one path segment: /api/admin/apis/https%3A%2F%2Fapi.example.com */
  api: '/api/admin/apis/:identifier',
} as const;

/** What an API is created with unless told: RFC 9068 JWT access tokens for an hour. */
export const API_DEFAULTS = { format: 'jwt', ttlSeconds: 3600 } as const;

const name = z.string().max(200).nullable().optional().describe('shown on the consent page');
const scopes = z.array(z.string().max(128)).max(100).describe("the API's own scopes (RFC 6749 scope tokens)");
const format = z
  .enum(['jwt', 'opaque'])
  .describe('access token format: jwt (RFC 9068) or opaque (introspected)');
const ttl = z.int().min(TTL_RANGE.min).max(TTL_RANGE.max).describe('access token lifetime in seconds');

export const createApiBody = z.strictObject({
  identifier: z
    .string()
    .max(2048)
    .describe('the resource indicator (RFC 8707 §2): an absolute https URI without fragment or query'),
  name,
  scopes,
  format: format.optional().describe(`access token format; ${API_DEFAULTS.format} unless given`),
  ttl_seconds: ttl
    .optional()
    .describe(`access token lifetime in seconds; ${API_DEFAULTS.ttlSeconds} unless given`),
});

export const updateApiBody = z.strictObject({
  name,
  scopes: scopes.optional(),
  format: format.optional(),
  ttl_seconds: ttl.optional(),
});

export const apiResponse = z.object({
  identifier: z.string(),
  name: z.string().nullable(),
  scopes: z.array(z.string()),
  format,
  ttl_seconds: z.int(),
  created_at: z.string().describe('RFC 3339 date-time'),
});

export const apiListResponse = z.object({ apis: z.array(apiResponse) });
