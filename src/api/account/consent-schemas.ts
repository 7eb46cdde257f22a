/**
 * The shapes of /api/account/consents: what the caller allowed which client, read by the same
 * OpenAPI generator as the other schema files.
 */
import { z } from 'zod';

export const consentResponse = z.object({
  client_id: z.string(),
  client_name: z.string().nullable().describe("the client's client_name, when it has one"),
  scopes: z
    .array(z.string())
    .describe('the OIDC scopes allowed (`offline_access`: refresh tokens without prompt=consent)'),
  granted_at: z.string().describe('RFC 3339 date-time: when first allowed'),
});

export const consentListResponse = z.array(consentResponse);
