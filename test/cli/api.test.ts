/**
 * `gatehouse api …` through the real CLI (dist/): create, list, delete an API (RFC 8707 resource
 * server), with --json shapes, exit codes and refusals (2 for bad usage, 1 for conflict / not found).
 */
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';

let cli: CliDatabase;

beforeAll(async () => {
  cli = await createCliDatabase();
});

afterAll(async () => {
  await cli?.drop();
});

interface ApiJson {
  identifier: string;
  name: string | null;
  scopes: string[];
  format: string;
  ttl_seconds: number;
  created_at: string;
}

describe('api create, list, delete', () => {
  it('creates an API, lists it and deletes it', async () => {
    const created = await cli.run([
      'api',
      'create',
      '--identifier',
      'https://api.example.org',
      '--scope',
      'read',
      '--scope',
      'write',
      '--format',
      'jwt',
      '--ttl',
      '600',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('created API https://api.example.org (jwt, 600 s): read write\n');

    const opaque = await cli.json<ApiJson>([
      'api',
      'create',
      '--identifier',
      'https://orders.example.org/v1',
      '--scope',
      'orders:read',
      '--format',
      'opaque',
      '--name',
      'Orders',
      '--json',
    ]);
    expect(opaque).toEqual({
      identifier: 'https://orders.example.org/v1',
      name: 'Orders',
      scopes: ['orders:read'],
      format: 'opaque',
      ttl_seconds: 3600,
      created_at: expect.any(String),
    });

    const listed = await cli.json<ApiJson[]>(['api', 'list', '--json']);
    expect(listed.map((api) => [api.identifier, api.format, api.ttl_seconds])).toEqual([
      ['https://api.example.org', 'jwt', 600],
      ['https://orders.example.org/v1', 'opaque', 3600],
    ]);
    const table = await cli.run(['api', 'list']);
    expect(table.stdout).toMatch(/^IDENTIFIER\s+FORMAT\s+TTL\s+SCOPES\s+NAME\n/);
    expect(table.stdout).toContain('https://orders.example.org/v1');

    const deleted = await cli.run(['api', 'delete', 'https://api.example.org']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('deleted API https://api.example.org\n');
    const again = await cli.run(['api', 'delete', 'https://api.example.org']);
    expect(again.code).toBe(1);
    expectOneLineError(again, 1, 'no API https://api.example.org');
  });

  it('refuses a second registration (1) and bad input (2)', async () => {
    const args = ['api', 'create', '--identifier', 'https://twice.example.org', '--scope', 'a'];
    expect((await cli.run(args)).code).toBe(0);
    const twice = await cli.run(args);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('exists already');

    for (const [bad, problem] of [
      [
        ['--identifier', 'https://x.example.org/#f', '--scope', 'a'],
        '--identifier: must not contain a fragment',
      ],
      [
        ['--identifier', 'https://x.example.org', '--scope', 'a', '--ttl', '5'],
        '--ttl: must be a whole number',
      ],
      [
        ['--identifier', 'https://x.example.org', '--scope', 'a', '--format', 'paseto'],
        '--format must be jwt or opaque',
      ],
      [
        ['--identifier', 'https://x.example.org', '--scope', 'a"b'],
        '--scope: each must be an RFC 6749 scope token',
      ],
    ] as const) {
      const result = await cli.run(['api', 'create', ...bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(problem);
    }
    const missing = await cli.run(['api', 'create', '--identifier', 'https://x.example.org']);
    expect(missing.code).toBe(2);
    expect((await cli.json<ApiJson[]>(['api', 'list', '--json'])).map((a) => a.identifier)).not.toContain(
      'https://x.example.org',
    );
  });
});
