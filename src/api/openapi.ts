/**
 * The OpenAPI 3.1 document of the API (GET /api/openapi.json), generated from the route table and
 * the zod schemas the handlers use, so it describes exactly what the code does. JSON Schema
 * 2020-12 is OpenAPI 3.1's schema dialect, which is what zod emits.
 */
import { z } from 'zod';
import { API_PREFIX, SERVICE_KEY_HEADER, openApiPath } from './paths';
import { errorResponse } from './schemas';
import { ALL_ROUTES, type RouteSpec } from './spec';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as Json;
  return rest;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function errorContent(description: string) {
  return { description, content: { 'application/json': { schema: ERROR_REF } } };
}

function parameters(route: RouteSpec): Json[] {
  const params: Json[] = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const schema = jsonSchema(route.query, 'input') as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      params.push({
        name,
        in: 'query',
        required: schema.required?.includes(name) ?? false,
        schema: property,
      });
  }
  return params;
}

function security(route: RouteSpec): Json[] {
  switch (route.access) {
    case 'public':
      return [];
    case 'validate-token':
      return [{ bearer: [] }, { clientBasic: [] }, { serviceKey: [] }];
    case 'service-key':
      return [{ serviceKey: [] }];
    default:
      return [{ bearer: [] }];
  }
}

function responses(route: RouteSpec): Json {
  const out: Json = {};
  for (const [status, { description, schema }] of Object.entries(route.responses))
    out[status] = schema
      ? { description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } }
      : { description };
  const add = (status: number, description: string) => {
    out[status] ??= errorContent(description);
  };
  if (route.body || route.query) add(400, 'invalid request: `details` names each bad field');
  if (route.access === 'bearer')
    add(401, 'no valid bearer token (`WWW-Authenticate: Bearer error="invalid_token"`)');
  if (route.access === 'admin')
    add(
      401,
      'no valid bearer token (`error="invalid_token"`), or MFA_REQUIRED_ROLES is set and the token is of a ' +
        'one-factor sign-in (`error="insufficient_user_authentication"`, RFC 9470 §3)',
    );
  if (route.access === 'admin')
    add(
      403,
      'the token lacks the scope `admin` (insufficient_scope) or the account the role `admin` (access_denied)',
    );
  else if (route.scope) add(403, `the token lacks the scope \`${route.scope}\` (insufficient_scope)`);
  if (route.path.includes('/:')) add(404, 'no such resource');
  if (route.body) {
    add(413, 'the body is over the size limit');
    add(415, 'the body is neither JSON nor a urlencoded form');
  }
  return out;
}

function operation(route: RouteSpec): Json {
  const scope = route.access === 'admin' ? 'admin' : route.scope;
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag ?? (route.access === 'admin' ? 'admin' : 'user')],
    ...(scope
      ? {
          description: `Requires the scope \`${scope}\`${route.access === 'admin' ? ' and the account role `admin`' : ''}.`,
        }
      : {}),
    ...(scope ? { 'x-required-scope': scope } : {}),
    security: security(route),
    ...(parameters(route).length ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: jsonSchema(route.body, 'input') },
              'application/x-www-form-urlencoded': { schema: jsonSchema(route.body, 'input') },
            },
          },
        }
      : {}),
    responses: responses(route),
  };
}

export function buildOpenApiDocument(options: { issuer: string }): Json {
  const paths: Record<string, Json> = {};
  for (const route of ALL_ROUTES) (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse API',
      version: '1',
      description:
        "The sidecar API next to Gatehouse's OpenID Connect endpoints. Authenticate with the provider's " +
        'own access tokens (`Authorization: Bearer`). Bodies are JSON or urlencoded forms. Every error is ' +
        '`{ "error", "error_description" }`, with `details` per field for validation errors; unknown ' +
        `routes under ${API_PREFIX} answer 404 in that format. The integrator routes take a client's ` +
        '`X-Service-Key` instead, and their token routes answer as the token endpoint does (RFC 6749 §5).',
    },
    servers: [{ url: options.issuer }],
    tags: [
      { name: 'user', description: "The caller's own account and tokens" },
      {
        name: 'account',
        description:
          "The caller's own account: profile, password, sessions, remembered consents, second factors. " +
          'Scope `account`, granted to first-party clients only',
      },
      {
        name: 'admin',
        description:
          'Administration: scope `admin` and account role `admin`; with MFA_REQUIRED_ROLES set, only tokens ' +
          'of a two-factor sign-in (`mfa` in their amr), else 401 `insufficient_user_authentication` (RFC 9470)',
      },
      {
        name: 'integrator',
        description: 'Seed-compatible routes for integrators: one-time codes, and grants with X-Service-Key',
      },
    ],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorResponse, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token issued by this provider' },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_id and client_secret of a confidential client (RFC 6749 §2.3.1)',
        },
        serviceKey: {
          type: 'apiKey',
          in: 'header',
          name: SERVICE_KEY_HEADER,
          description:
            "A client's service key (`gatehouse service-key create`): the request acts as that client",
        },
      },
    },
  };
}
