/**
 * `gatehouse client …` and `gatehouse service-key …` through the real CLI: output, --json shapes,
 * exit codes and refusals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';

/** RFC 7591 §3.2.1's client information, as the admin API answers it. */
interface Created {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

let cli: CliDatabase;

beforeAll(async () => {
  cli = await createCliDatabase();
});

afterAll(async () => {
  await cli?.drop();
});

describe('client create', () => {
  it('prints the client_id and the secret once, with a warning on stderr', async () => {
    const result = await cli.run([
      'client',
      'create',
      '--name',
      'Web App',
      '--id',
      'web-app',
      '--redirect-uri',
      'https://app.example.com/callback',
      '--scope',
      'openid profile',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('The client secret is shown only this once: store it now.\n');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('client_id:     web-app');
    expect(lines[1]).toMatch(/^client_secret: [A-Za-z0-9_-]{43}$/);
    expect(lines.slice(2)).toEqual([
      'name:          Web App',
      'auth_method:   client_secret_basic',
      'grant_types:   authorization_code,refresh_token',
      'redirect_uris: https://app.example.com/callback',
      'scope:         openid profile',
      'first_party:   no',
    ]);
  });

  it('--json gives RFC 7591 client information: the id, the secret and the metadata, top level', async () => {
    const created = await cli.json<Created>([
      'client',
      'create',
      '--name',
      'Billing',
      '--grant',
      'client_credentials',
      '--first-party',
    ]);
    expect(created.client_id).toMatch(/^gh_[A-Za-z0-9_-]{16}$/);
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created).toEqual({
      client_id: created.client_id,
      client_id_issued_at: expect.any(Number),
      client_secret: created.client_secret,
      client_secret_expires_at: 0,
      client_name: 'Billing',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      scope: 'openid profile email',
      first_party: true,
    });
  });

  it('a --public client has no secret and authenticates with none', async () => {
    const created = await cli.json<Created>([
      'client',
      'create',
      '--name',
      'SPA',
      '--id',
      'spa',
      '--public',
      '--redirect-uri',
      'http://localhost:5173/callback',
      '--grant',
      'authorization_code',
    ]);
    expect(created).not.toHaveProperty('client_secret');
    expect(created.token_endpoint_auth_method).toBe('none');
    expect(created.response_types).toEqual(['code']);
  });

  it.each([
    [['--redirect-uri', 'https://a.example/cb'], /--name \(or client_name in --metadata\) is required/],
    [['--name', 'X', '--grant', 'bogus'], /Allowed choices are authorization_code, refresh_token/],
    [['--name', 'X'], /authorization_code grant needs at least one --redirect-uri/],
    [['--name', 'X', '--redirect-uri', 'not-a-url'], /--redirect-uri: not an absolute URL: not-a-url/],
    [['--name', 'X', '--redirect-uri', 'https://a.example/cb#x'], /must not have a fragment/],
    [['--name', 'X', '--grant', 'client_credentials', '--public'], /cannot use the client_credentials grant/],
    [
      ['--name', 'X', '--grant', 'password', '--public'],
      /--grant: a public client cannot use the password grant: it has no secret/,
    ],
    [['--name', 'X', '--grant', 'otp', '--public'], /cannot use the one-time-code grant/],
    [['--name', 'X', '--grant', 'client_credentials', '--scope', 'openid bogus'], /unknown scope bogus/],
    [['--name', 'X', '--grant', 'client_credentials', '--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('refuses bad usage %j with exit code 2', async (args, message) => {
    const result = await cli.run(['client', 'create', ...args]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });

  it('takes the scopes of EXTRA_SCOPES, and only with them set', async () => {
    const args = [
      'client',
      'create',
      '--name',
      'Reports',
      '--grant',
      'client_credentials',
      '--scope',
      'read write',
    ];
    const refused = await cli.run(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unknown scope read, write/);
    const created = await cli.json<Created>(args, { env: { EXTRA_SCOPES: 'read write' } });
    expect(created).toMatchObject({ scope: 'read write' });
    // The listings below count the clients made here.
    expect((await cli.run(['client', 'delete', created.client_id])).code).toBe(0);
  });

  it('refuses a client_id that exists with exit code 1', async () => {
    const result = await cli.run([
      'client',
      'create',
      '--name',
      'Again',
      '--id',
      'web-app',
      '--grant',
      'client_credentials',
    ]);
    expectOneLineError(result, 1, /^gatehouse: client web-app already exists$/m);
  });
});

describe('client list, show, rotate-secret, delete', () => {
  it('lists clients as a table and as JSON, never with a secret', async () => {
    const table = await cli.run(['client', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CLIENT_ID\s+NAME\s+TYPE\s+GRANTS\s+REDIRECT_URIS$/);
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('spa '))).toMatch(
      /^spa\s+SPA\s+public\s+authorization_code\s+http:\/\/localhost:5173\/callback$/,
    );

    const all = await cli.json<Record<string, unknown>[]>(['client', 'list']);
    expect(all.map((c) => c.client_id)).toEqual(expect.arrayContaining(['spa', 'web-app']));
    expect(all).toHaveLength(3);
    for (const client of all) expect(client).not.toHaveProperty('client_secret');
  });

  it('shows one client without its secret; an unknown id is exit code 1', async () => {
    const shown = await cli.json<Record<string, unknown>>(['client', 'show', 'web-app']);
    expect(shown).toMatchObject({ client_id: 'web-app', client_name: 'Web App', scope: 'openid profile' });
    expect(shown).not.toHaveProperty('client_secret');
    const text = await cli.run(['client', 'show', 'web-app']);
    expect(text.stdout).toContain('client_name:                Web App\n');

    expectOneLineError(await cli.run(['client', 'show', 'nope']), 1, /^gatehouse: no client nope$/m);
    const debug = await cli.run(['client', 'show', 'nope', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^gatehouse: no client nope\nCliError: no client nope\n\s+at /);
  });

  it('rotates a secret (a new one, shown once); refuses a public client and an unknown id', async () => {
    const rotated = await cli.json<{ client_id: string; client_secret: string }>([
      'client',
      'rotate-secret',
      'web-app',
    ]);
    expect(rotated).toEqual({
      client_id: 'web-app',
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expectOneLineError(await cli.run(['client', 'rotate-secret', 'spa']), 1, /client spa is public/);
    expectOneLineError(await cli.run(['client', 'rotate-secret', 'nope']), 1, /no client nope/);
  });

  it('service keys: created once, listed by prefix, revoked; unknown ids are exit code 1', async () => {
    const created = await cli.json<{ id: string; client_id: string; key: string; prefix: string }>([
      'service-key',
      'create',
      'web-app',
    ]);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      client_id: 'web-app',
      key: expect.stringMatching(/^gh_sk_[A-Za-z0-9_-]{43}$/),
      prefix: created.key.slice(0, 12),
      created_at: expect.any(String),
    });

    const listed = await cli.json<Record<string, unknown>[]>(['service-key', 'list', 'web-app']);
    expect(listed).toEqual([
      {
        id: created.id,
        client_id: 'web-app',
        prefix: created.prefix,
        created_at: expect.any(String),
        last_used_at: null,
        revoked_at: null,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);

    const revoked = await cli.run(['service-key', 'revoke', created.id]);
    expect(revoked).toEqual({ code: 0, stdout: `revoked service key ${created.id}\n`, stderr: '' });
    expectOneLineError(await cli.run(['service-key', 'revoke', created.id]), 1, /already revoked/);
    expectOneLineError(
      await cli.run(['service-key', 'revoke', 'not-a-uuid']),
      1,
      /no active service key not-a-uuid/,
    );
    expectOneLineError(await cli.run(['service-key', 'create', 'nope']), 1, /no client nope/);
    expectOneLineError(await cli.run(['service-key', 'list', 'nope']), 1, /no client nope/);

    const table = await cli.run(['service-key', 'list', 'web-app']);
    expect(table.stdout).toMatch(
      new RegExp(
        `^ID\\s+PREFIX\\s+STATUS\\s+CREATED\\s+LAST_USED\\n${created.id}\\s+${created.prefix}…\\s+revoked `,
      ),
    );
  });

  it('deletes a client; deleting it again is exit code 1', async () => {
    expect(await cli.run(['client', 'delete', 'spa'])).toEqual({
      code: 0,
      stdout: 'deleted client spa\n',
      stderr: '',
    });
    expectOneLineError(await cli.run(['client', 'delete', 'spa']), 1, /^gatehouse: no client spa$/m);
    const all = await cli.json<{ client_id: string }[]>(['client', 'list']);
    expect(all.map((c) => c.client_id)).not.toContain('spa');
  });
});

describe('client create --metadata', () => {
  it('takes RFC 7591 metadata from a file, the flags overriding it, and shows it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-metadata-'));
    const file = join(dir, 'client.json');
    writeFileSync(
      file,
      JSON.stringify({
        client_name: 'From the file',
        redirect_uris: ['https://rp.example.com/cb'],
        grant_types: ['authorization_code', 'implicit'],
        response_types: ['code', 'code id_token'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
        contacts: ['ops@rp.example.com'],
        scope: 'openid',
      }),
    );
    const created = await cli.json<Created>([
      'client',
      'create',
      '--metadata',
      file,
      '--id',
      'from-file',
      '--name',
      'From the flags',
      '--scope',
      'openid profile',
    ]);
    expect(created).toEqual({
      client_id: 'from-file',
      client_id_issued_at: expect.any(Number),
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_secret_expires_at: 0,
      client_name: 'From the flags',
      redirect_uris: ['https://rp.example.com/cb'],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'implicit'],
      response_types: ['code', 'code id_token'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      contacts: ['ops@rp.example.com'],
      scope: 'openid profile',
    });
    const shown = await cli.json<Record<string, unknown>>(['client', 'show', 'from-file']);
    const { client_secret: _secret, client_secret_expires_at: _expires, ...metadata } = created;
    expect(shown).toEqual(metadata);
  });

  it('reads - from stdin; a private_key_jwt client with a public JWK gets no secret', async () => {
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
    };
    const result = await cli.run(['client', 'create', '--metadata', '-', '--json'], {
      input: JSON.stringify({
        client_name: 'Signed',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [jwk] },
      }),
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const created = JSON.parse(result.stdout) as Created;
    expect(created).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(created).not.toHaveProperty('client_secret');
  });

  it.each([
    [
      { client_name: 'X', grant_types: ['client_credentials'], secret: 'x' },
      /--metadata: secret: unknown field/,
    ],
    [
      { client_name: 'X', grant_types: ['client_credentials'], contacts: 'a' },
      /--metadata: contacts: Invalid input/,
    ],
    [
      {
        client_name: 'X',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
      },
      /jwks: jwks or jwks_uri is mandatory for this client/,
    ],
    [
      { client_name: 'X', grant_types: ['client_credentials'], id_token_signed_response_alg: 'EdDSA' },
      /id_token_signed_response_alg: must be 'RS256' or 'ES256'/,
    ],
    [[1, 2], /--metadata: - must hold a JSON object of client metadata/],
    ['not json', /--metadata: - is not JSON/],
  ])('refuses %j with exit code 2, storing nothing', async (metadata, message) => {
    const input = typeof metadata === 'string' ? metadata : JSON.stringify(metadata);
    const result = await cli.run(['client', 'create', '--metadata', '-'], { input });
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });

  it('refuses a file it cannot read', async () => {
    const result = await cli.run(['client', 'create', '--metadata', '/nonexistent/client.json']);
    expectOneLineError(result, 2, /--metadata: cannot read \/nonexistent\/client.json: ENOENT/);
  });
});
