/**
 * `gatehouse keys …` and `gatehouse db …` through the real CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { KnexAdapter } from '../../src/oidc/adapter';
import { openServices } from '../../src/services';
import { createCliDatabase, expectOneLineError, type CliDatabase } from '../support/cli';

interface KeyJson {
  kid: string;
  alg: string;
  status: string;
  created_at: string;
  retire_after: string | null;
}

let cli: CliDatabase;
const MIGRATIONS = fs
  .readdirSync(path.resolve(__dirname, '..', '..', 'migrations'))
  .filter((f) => f.endsWith('.js'));

beforeAll(async () => {
  // Access tokens outlive ID tokens here: `keys rotate` must keep old keys for the longer of the two.
  cli = await createCliDatabase({ ACCESS_TOKEN_TTL: '7200', ID_TOKEN_TTL: '600' });
});

afterAll(async () => {
  await cli?.drop();
});

describe('db', () => {
  it('migrate applies every migration and reports it', async () => {
    const result = await cli.run(['db', 'migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`migrations applied: ${MIGRATIONS.length}\n`);
    expect(result.stdout).toContain(`latest:             ${MIGRATIONS.sort().at(-1)}\n`);
    expect(await cli.json(['db', 'migrate'])).toEqual({
      database: process.env.DATABASE_URL ? 'postgres' : 'embedded',
      applied: MIGRATIONS.length,
      pending: 0,
      latest: MIGRATIONS.at(-1),
    });
  });

  it('seed is refused with NODE_ENV=production, and changes nothing', async () => {
    const production = {
      NODE_ENV: 'production',
      ISSUER: 'https://id.example.com',
      SECRET_KEY: 'a-production-secret-of-at-least-32-chars',
      BCRYPT_COST: '10',
    };
    expectOneLineError(
      await cli.run(['db', 'seed'], { env: production }),
      1,
      /^gatehouse: db seed: the demo data is refused with NODE_ENV=production$/m,
    );
    expect(await cli.json(['client', 'list'])).toEqual([]);
  });

  it('seed adds the demo data once', async () => {
    expect(await cli.json(['db', 'seed'])).toEqual({ added: { accounts: 2, clients: 5 } });
    expect(await cli.run(['db', 'seed'])).toEqual({
      code: 0,
      stdout: 'demo users added:   0\ndemo clients added: 0\n(the demo data was already there)\n',
      stderr: '',
    });
    const clients = await cli.json<{ client_id: string }[]>(['client', 'list']);
    expect(clients.map((c) => c.client_id)).toEqual([
      'demo-cli',
      'demo-device',
      'demo-service',
      'demo-spa',
      'demo-web',
    ]);
  });

  it('purge deletes expired rows in batches and reports the count', async () => {
    // Five expired access tokens and one live one, written through the provider's own adapter.
    const services = await openServices(loadConfig(cli.env));
    try {
      const tokens = new KnexAdapter(services.db, 'AccessToken');
      for (let i = 0; i < 5; i += 1) await tokens.upsert(`expired-${i}`, { jti: `expired-${i}` }, 1);
      await tokens.upsert('live', { jti: 'live' }, 3600);
    } finally {
      await services.db.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const purged = await cli.json<{ deleted: number; skipped: boolean; tables: Record<string, number> }>(
      ['db', 'purge', '--batch-size', '2'],
      { timeoutMs: 30000 },
    );
    expect(purged).toMatchObject({ deleted: 5, skipped: false, tables: { oidc_payloads: 5 } });

    const again = await cli.run(['db', 'purge'], { timeoutMs: 30000 });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^purged 0 expired rows \(oidc_payloads: 0, login_throttle: 0.*\)\n$/);

    const check = await openServices(loadConfig(cli.env));
    try {
      expect(await new KnexAdapter(check.db, 'AccessToken').find('live')).toEqual({ jti: 'live' });
    } finally {
      await check.db.destroy();
    }
  });
});

describe('keys', () => {
  it('list says when there are no keys yet', async () => {
    expect(await cli.run(['keys', 'list'])).toEqual({
      code: 0,
      stdout:
        'no signing keys yet (a server creates them at its first start; or run `gatehouse keys rotate`)\n',
      stderr: '',
    });
    expect(await cli.json(['keys', 'list'])).toEqual([]);
  });

  it('rotate makes new signing keys; the old ones verify for the longest token lifetime', async () => {
    const first = await cli.json<{ created: string[] }>(['keys', 'rotate']);
    expect(first.created).toHaveLength(2);

    const before = Date.now();
    const second = await cli.json<{ created: string[]; previous_keys_verify_until: string }>([
      'keys',
      'rotate',
    ]);
    const until = Date.parse(second.previous_keys_verify_until);
    // max(ACCESS_TOKEN_TTL=7200, ID_TOKEN_TTL=600)
    expect(until - before).toBeGreaterThanOrEqual(7200 * 1000);
    expect(until - before).toBeLessThan(7200 * 1000 + 60000);

    const keys = await cli.json<KeyJson[]>(['keys', 'list']);
    const status = Object.fromEntries(keys.map((k) => [k.kid, k.status]));
    expect(status).toEqual({
      [first.created[0]!]: 'retiring',
      [first.created[1]!]: 'retiring',
      [second.created[0]!]: 'active',
      [second.created[1]!]: 'active',
    });
    expect(
      keys
        .filter((k) => k.status === 'active')
        .map((k) => k.alg)
        .sort(),
    ).toEqual(['ES256', 'RS256']);
    for (const key of keys.filter((k) => k.status === 'retiring'))
      expect(Math.abs(Date.parse(key.retire_after!) - until)).toBeLessThan(10000);

    const table = await cli.run(['keys', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED\s+RETIRE_AFTER$/);
    expect(table.stdout).toMatch(new RegExp(`${first.created[0]}\\s+RS256\\s+retiring\\s+\\S+Z\\s+\\S+Z`));
  });

  it('retire takes a retiring key out; an active or unknown key is refused', async () => {
    const keys = await cli.json<KeyJson[]>(['keys', 'list']);
    const retiring = keys.find((k) => k.status === 'retiring')!;
    const active = keys.find((k) => k.status === 'active')!;
    expect(await cli.run(['keys', 'retire', retiring.kid])).toEqual({
      code: 0,
      stdout: `retired key ${retiring.kid}\n`,
      stderr: '',
    });
    expectOneLineError(
      await cli.run(['keys', 'retire', active.kid]),
      1,
      /is active \(it signs\): run `gatehouse keys rotate` first/,
    );
    expectOneLineError(
      await cli.run(['keys', 'retire', 'no-such-kid']),
      1,
      /^gatehouse: no signing key no-such-kid$/m,
    );
    // base64url thumbprints may start with '-': such a kid is an operand, not an option.
    expectOneLineError(
      await cli.run(['keys', 'retire', '-hX_no-such-kid']),
      1,
      /^gatehouse: no signing key -hX_no-such-kid$/m,
    );
    const after = await cli.json<KeyJson[]>(['keys', 'list']);
    expect(after.find((k) => k.kid === retiring.kid)!.status).toBe('retired');
  });
});
