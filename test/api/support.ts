/**
 * What only the API suites need: a node with the suites' own clients, their tokens, and a request
 * helper that checks every answer against the node's own OpenAPI document (the document must
 * describe each status and body the tests see, or the test fails).
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import { ADMIN, DEMO_SCOPE, type ClientCredentials } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';
import * as tokens from '../support/tokens';

/** Every scope, so each test asks for exactly the ones it needs. */
export const TEST_CLIENT_SCOPE = DEMO_SCOPE;

/** The suites' clients: `test-api` and `test-api-other` are confidential, `test-api-public` is not. */
export function testClient(clientId = 'test-api'): ClientCredentials {
  return clientId === 'test-api-public' ? { id: clientId } : { id: clientId, secret: `${clientId}-secret` };
}

export interface ApiNode extends TestServer {
  /** Validators for the node's OpenAPI document, by "METHOD /template status". */
  responseValidators: Map<string, ValidateFunction | null>;
  templates: { method: string; template: string; regexp: RegExp }[];
}

export async function startApiNode(env: Record<string, string> = {}): Promise<ApiNode> {
  const node = await startTestServer({ env });
  for (const client of ['test-api', 'test-api-other']) {
    await node.services.clients.save({
      client_id: client,
      client_secret: `${client}-secret`,
      grant_types: ['password', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      scope: TEST_CLIENT_SCOPE,
    });
  }
  await node.services.clients.save({
    client_id: 'test-api-public',
    token_endpoint_auth_method: 'none',
    grant_types: ['password', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: TEST_CLIENT_SCOPE,
  });
  const document = (await (await fetch(`${node.issuer}/api/openapi.json`)).json()) as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(document.components.schemas.Error, '#/components/schemas/Error');
  const responseValidators = new Map<string, ValidateFunction | null>();
  const templates: ApiNode['templates'] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const pattern = template.replace(/\{[A-Za-z]+\}/g, '[^/]+');
      templates.push({ method: method.toUpperCase(), template, regexp: new RegExp(`^${pattern}$`) });
      for (const [status, response] of Object.entries(operation.responses)) {
        const schema = response.content?.['application/json']?.schema;
        const resolved = schema && '$ref' in schema ? document.components.schemas.Error : schema;
        responseValidators.set(
          `${method.toUpperCase()} ${template} ${status}`,
          resolved ? ajv.compile(resolved) : null,
        );
      }
    }
  }
  return Object.assign(node, { responseValidators, templates });
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: { Error: object } };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  /** Skip the OpenAPI check (for routes not ours, e.g. raw 404s from outside /api). */
  unchecked?: boolean;
}

/** A request to the node; the answer is checked against the OpenAPI document. */
export async function api(
  node: ApiNode,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.form))
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    body = params.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(`${node.issuer}${path}`, { method, headers, body });
  const text = await res.text();
  const parsed = text
    ? res.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : text
    : undefined;
  const response = { status: res.status, headers: res.headers, body: parsed };
  if (!options.unchecked) checkDocumented(node, method, path, response);
  return response;
}

/** Fails unless the document has this operation and status, and the body matches its schema. */
export function checkDocumented(node: ApiNode, method: string, path: string, response: ApiResponse): void {
  const pathname = path.split('?')[0]!;
  const match = node.templates.find((t) => t.method === method && t.regexp.test(pathname));
  // Unknown routes answer 404/405 errors; they have no operation to check, only the error shape.
  if (!match) {
    expect([404, 405]).toContain(response.status);
    expect(Object.keys(response.body as object).sort()).toEqual(['error', 'error_description']);
    return;
  }
  const key = `${method} ${match.template} ${response.status}`;
  if (!node.responseValidators.has(key))
    throw new Error(`undocumented response: ${key} ${JSON.stringify(response.body)}`);
  const validate = node.responseValidators.get(key);
  if (!validate) {
    if (response.status !== 204) expect(response.body).toBeDefined();
    return;
  }
  if (!validate(response.body))
    throw new Error(
      `${key} does not match the document: ${JSON.stringify(validate.errors)} in ${JSON.stringify(response.body)}`,
    );
}

/** Tokens from the real password grant at /token, for one of the suites' clients (test-api unless told). */
export function passwordTokens(
  node: TestServer,
  options: { username?: string; password?: string; scope: string; clientId?: string },
): Promise<tokens.TokenSet> {
  const { clientId, ...grant } = options;
  return tokens.passwordTokens(node.issuer, { ...grant, client: testClient(clientId) });
}

export function accessToken(node: TestServer, scope: string, username = 'alice'): Promise<string> {
  return tokens.accessToken(node.issuer, scope, { username, client: testClient() });
}

/** An API node and an access token of the demo admin with the admin scope, for the admin suites. */
export async function startAdminApiNode(): Promise<{ node: ApiNode; admin: string }> {
  const node = await startApiNode();
  return { node, admin: await accessToken(node, 'admin', ADMIN.username) };
}
