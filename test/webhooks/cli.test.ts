/**
 * `gatehouse webhook create|list|replay|delete` through the real CLI (dist/), beside a real server on
 * the same database that delivers: an endpoint registered with the CLI receives the user.created of
 * a user the CLI created (actor: the CLI and its OS user), signed with the secret the CLI printed
 * once; after every retry failed, `webhook replay --dead` and `--message` send it again. --json
 * shapes, exit codes (2 bad usage, 1 not found), one-line errors.
 *
 * With PostgreSQL the CLI runs while the server runs; the embedded database is single-process, so
 * there the server is stopped around each CLI run and started again on the same directory.
 */
import os from 'node:os';
import { createCliDatabase, expectOneLineError, type CliDatabase, type CliResult } from '../support/cli';
import { usingPostgres } from '../support/database';
import { TEST_PASSWORD } from '../support/fixtures';
import { startTestServer, type TestServer } from '../support/server';
import { eventually } from '../support/wait';
import { startReceiver, type Receiver } from './receiver';

const ENV = { WEBHOOK_TIMEOUT_MS: '200', WEBHOOK_RETRIES: '1' };

let cli: CliDatabase;
let server: TestServer | undefined;
let receiver: Receiver;

async function start(): Promise<void> {
  server = await startTestServer({ database: cli.database, port: cli.port, env: ENV });
}

async function runBeside(args: string[], input?: string): Promise<CliResult> {
  if (usingPostgres) return cli.run(args, input === undefined ? {} : { input });
  await server?.stop();
  server = undefined;
  try {
    return await cli.run(args, input === undefined ? {} : { input });
  } finally {
    await start();
  }
}

async function jsonBeside<T>(args: string[]): Promise<T> {
  const result = await runBeside([...args, '--json']);
  if (result.code !== 0)
    throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  cli = await createCliDatabase(ENV);
  receiver = await startReceiver();
  await start();
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await cli?.drop();
});

interface WebhookJson {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  deliveries: { pending: number; delivered: number; dead: number };
  secret?: string;
}

describe('gatehouse webhook', () => {
  it('creates an endpoint, delivers to it, lists it, replays dead and chosen deliveries, deletes it', async () => {
    const created = await runBeside([
      'webhook',
      'create',
      '--url',
      receiver.url,
      '--events',
      'user.created,session.ended',
      '--description',
      'from the CLI',
    ]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('The signing secret is shown only this once: store it now.\n');
    const id = /^id: +(wh_[0-9a-f]{24})$/m.exec(created.stdout)?.[1];
    const secret = /^secret: +(whsec_\S+)$/m.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.stdout).toContain('events:     user.created,session.ended\n');
    receiver.secret = secret!;

    // Both attempts fail (WEBHOOK_RETRIES=1): the delivery is dead.
    receiver.respond.push(503, 503);
    const user = await runBeside(['user', 'create', 'hooked', '--password-stdin'], `${TEST_PASSWORD}\n`);
    expect(user.code).toBe(0);
    const attempts = await receiver.waitFor('user.created', 2);
    expect(attempts.map((a) => [a.answered, a.verified])).toEqual([
      [503, true],
      [503, true],
    ]);
    expect(attempts[0]!.body.data).toMatchObject({
      actor: { type: 'cli', id: os.userInfo().username },
      target: { type: 'account', id: expect.any(String) },
    });
    const messageId = attempts[0]!.id;
    for (let dead = 0; dead !== 1;) {
      dead = (await server!.services.webhooks.counts())[0]?.dead ?? 0;
      if (dead !== 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const listed = await jsonBeside<WebhookJson[]>(['webhook', 'list']);
    expect(listed).toEqual([
      {
        id,
        url: receiver.url,
        events: ['user.created', 'session.ended'],
        description: 'from the CLI',
        enabled: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
        deliveries: { pending: 0, delivered: 0, dead: 1, oldest_pending_at: null },
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(secret!.slice(6));
    const table = await runBeside(['webhook', 'list']);
    expect(table.stdout.split('\n').map((line) => line.split(/ +/))).toEqual([
      ['ID', 'ENABLED', 'PENDING', 'DELIVERED', 'DEAD', 'URL', 'EVENTS'],
      [id, 'yes', '0', '0', '1', receiver.url, 'user.created,session.ended'],
      [''],
    ]);

    const replayed = await runBeside(['webhook', 'replay', id!, '--dead']);
    expect(replayed).toMatchObject({ code: 0, stdout: `replayed 1 delivery of ${id}\n` });
    await eventually(() => (receiver.of(messageId).length === 3 ? true : undefined));
    expect(receiver.of(messageId)[2]).toMatchObject({ answered: 200, verified: true });
    for (let delivered = 0; delivered !== 1;) {
      delivered = (await server!.services.webhooks.counts())[0]?.delivered ?? 0;
      if (delivered !== 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // A delivered message named by its webhook-id goes out again, under the same id.
    expect(await jsonBeside(['webhook', 'replay', id!, '--message', messageId])).toEqual({ id, replayed: 1 });
    await eventually(() => (receiver.of(messageId).length === 4 ? true : undefined));
    expect(new Set(receiver.of(messageId).map((r) => r.raw)).size).toBe(1);

    expect(await jsonBeside(['webhook', 'delete', id!])).toEqual({ id, deleted: true });
    expect(await jsonBeside(['webhook', 'list'])).toEqual([]);
    expect((await runBeside(['webhook', 'list'])).stdout).toBe('no webhooks\n');
  });

  it('refuses bad usage with exit code 2 and unknown endpoints with 1, in one line', async () => {
    expectOneLineError(
      await runBeside([
        'webhook',
        'create',
        '--url',
        'https://hooks.example.com/',
        '--events',
        'user.created,nope',
      ]),
      2,
      '--events: unknown event type: nope',
    );
    expectOneLineError(
      await runBeside(['webhook', 'create', '--url', 'ftp://hooks.example.com/', '--events', '*']),
      2,
      '--url: must be an absolute http(s) URL',
    );
    expectOneLineError(
      await runBeside(['webhook', 'replay', 'wh_000000000000000000000000']),
      2,
      'give either --dead or --message',
    );
    expectOneLineError(
      await runBeside(['webhook', 'replay', 'wh_000000000000000000000000', '--dead']),
      1,
      'no webhook wh_000000000000000000000000',
    );
    expectOneLineError(await runBeside(['webhook', 'delete', 'wh_nope']), 1, 'no webhook wh_nope');
  });
});
