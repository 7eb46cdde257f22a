/**
 * django-oauth-toolkit's tokens carried over by `importDjangoTokens` (src/import/django/tokens.ts),
 * written through the provider the CLI builds for the import (cli/import-provider.ts) into a running
 * node's database, then used over HTTP as DOT's clients and resource servers would: introspection
 * (RFC 7662), userinfo, the refresh_token grant (RFC 6749 §6) with rotation and reuse detection.
 * The snapshot is built here with DOT-shaped values; test/import/django-dot.test.ts takes real ones.
 */
import { randomInt } from 'node:crypto';
import { createTokenWriter } from '../../src/cli/import-provider';
import { buildClientMetadata } from '../../src/clients/store';
import type { DjangoAccessToken, DjangoRefreshToken, DjangoSnapshot } from '../../src/import/django/source';
import { importDjangoTokens, type TokenImportReport, type TokenWriter } from '../../src/import/django/tokens';
import type { ClientCredentials } from '../support/fixtures';
import { introspect } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';
import { refresh } from '../support/tokens';

// oauthlib's generate_token: 30 characters of UNICODE_ASCII_CHARACTER_SET (oauthlib/common.py).
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const dotToken = () => Array.from({ length: 30 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

const HOUR = 3600 * 1000;
const PASSWORD_APP: Required<ClientCredentials> = { id: 'dot-password-app', secret: 'dot-password-secret-1' };
const SERVICE_APP: Required<ClientCredentials> = { id: 'dot-service-app', secret: 'dot-service-secret-1' };
const OTHER_APP: Required<ClientCredentials> = { id: 'dot-other-app', secret: 'dot-other-secret-1' };
const SCOPE = 'openid profile read write';

let ids = 100;
const nextId = () => String((ids += 1));

function accessToken(fields: Partial<DjangoAccessToken> = {}): DjangoAccessToken {
  return {
    id: nextId(),
    token: dotToken(),
    userId: '1',
    applicationId: '10',
    // DOT's expires is a datetime; introspection's exp is whole seconds.
    expires: new Date(Math.floor((Date.now() + 10 * HOUR) / 1000) * 1000),
    scope: SCOPE,
    sourceRefreshTokenId: null,
    idTokenId: null,
    created: new Date(Date.now() - HOUR),
    ...fields,
  };
}

function refreshToken(
  access: DjangoAccessToken,
  fields: Partial<DjangoRefreshToken> = {},
): DjangoRefreshToken {
  return {
    id: nextId(),
    token: dotToken(),
    userId: access.userId!,
    applicationId: access.applicationId!,
    accessTokenId: access.id,
    revoked: null,
    created: access.created,
    ...fields,
  };
}

function snapshot(accessTokens: DjangoAccessToken[], refreshTokens: DjangoRefreshToken[]): DjangoSnapshot {
  return {
    groups: [],
    users: [],
    applications: [
      {
        id: '10',
        clientId: PASSWORD_APP.id,
        clientSecret: PASSWORD_APP.secret,
        clientType: 'confidential',
        authorizationGrantType: 'password',
        redirectUris: [],
        postLogoutRedirectUris: [],
        skipAuthorization: false,
        algorithm: '',
        name: 'DOT password app',
        userId: null,
        created: null,
      },
    ],
    accessTokens,
    refreshTokens,
    idTokens: [],
    origin: 'test',
  };
}

describe('importDjangoTokens', () => {
  let node: TestServer;
  let writer: TokenWriter;
  let accountId: string;
  let targets: {
    accountIdByUserId: Map<string, string>;
    clientIdByApplicationId: Map<string, string>;
  };

  // A live chain (its access token and refresh token), one rotated away at DOT (revoked), a lone
  // access token, one expired, a client-credentials token, tokens of an unknown user and client.
  const live = accessToken();
  const liveRefresh = refreshToken(live);
  const rotated = accessToken({ expires: new Date(Date.now() - HOUR) });
  const rotatedRefresh = refreshToken(rotated, { revoked: new Date(Date.now() - HOUR), accessTokenId: null });
  const lone = accessToken({ scope: 'openid profile' });
  const expired = accessToken({ expires: new Date(Date.now() - 60 * 1000) });
  const service = accessToken({ userId: null, applicationId: '11', scope: 'read' });
  const strangerToken = accessToken({ userId: '99' });
  const otherAppToken = accessToken({ applicationId: '77' });
  const first = snapshot(
    [live, rotated, lone, expired, service, strangerToken, otherAppToken],
    [liveRefresh, rotatedRefresh],
  );
  let report: TokenImportReport;

  beforeAll(async () => {
    node = await startTestServer({ env: { EXTRA_SCOPES: 'read write' } });
    const { accounts, clients } = node.services;
    accountId = (await accounts.create({ username: 'django-alice', password: 'correct horse battery' })).id;
    await clients.save(
      buildClientMetadata(
        { name: 'DOT password app', grantTypes: ['password', 'refresh_token'], scope: SCOPE },
        PASSWORD_APP.id,
        PASSWORD_APP.secret,
      ),
    );
    await clients.save(
      buildClientMetadata(
        { name: 'DOT service', grantTypes: ['client_credentials'], scope: 'read write' },
        SERVICE_APP.id,
        SERVICE_APP.secret,
      ),
    );
    await clients.save(
      buildClientMetadata(
        { name: 'Another DOT app', grantTypes: ['password', 'refresh_token'], scope: SCOPE },
        OTHER_APP.id,
        OTHER_APP.secret,
      ),
    );
    targets = {
      accountIdByUserId: new Map([['1', accountId]]),
      clientIdByApplicationId: new Map([
        ['10', PASSWORD_APP.id],
        ['11', SERVICE_APP.id],
      ]),
    };
    writer = createTokenWriter(node.services);
    report = await importDjangoTokens(writer, first, targets, { dryRun: false });
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('reports what it carried and what it left', () => {
    expect(report).toEqual({
      accessTokens: { imported: 2, unchanged: 0 },
      refreshTokens: { imported: 1, unchanged: 0 },
      clientCredentials: { imported: 1, unchanged: 0 },
      skipped: { expired: 2, revoked: 1, unknownClient: 1, unknownUser: 1 },
      revokedSinceImport: 0,
      unknownScopes: [],
    });
  });

  it('keeps an access token: value, scope, expiry, client and account', async () => {
    const answer = await introspect(node.issuer, live.token, PASSWORD_APP);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      active: true,
      scope: SCOPE,
      exp: live.expires.getTime() / 1000,
      client_id: PASSWORD_APP.id,
      sub: accountId,
      token_type: 'Bearer',
      amr: ['pwd'],
    });
  });

  it('answers userinfo for an imported token with openid', async () => {
    const res = await fetch(`${node.issuer}/me`, { headers: { authorization: `Bearer ${lone.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: accountId, preferred_username: 'django-alice' });
  });

  it('keeps a client-credentials token', async () => {
    const answer = await introspect(node.issuer, service.token, SERVICE_APP);
    expect(answer.body).toMatchObject({ active: true, scope: 'read', client_id: SERVICE_APP.id });
    expect(answer.body.sub).toBeUndefined();
  });

  it('carries no expired token, no revoked refresh token, none of an unknown user or client', async () => {
    for (const token of [expired, rotated, strangerToken, otherAppToken, rotatedRefresh])
      expect((await introspect(node.issuer, token.token, PASSWORD_APP)).body).toEqual({ active: false });
    const answer = await refresh(node.issuer, rotatedRefresh.token, PASSWORD_APP);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('refreshes a DOT refresh token with the same scope, rotates it, and revokes on reuse', async () => {
    const rotation = await refresh(node.issuer, liveRefresh.token, PASSWORD_APP);
    expect(rotation.status).toBe(200);
    expect(rotation.body.scope).toBe(SCOPE);
    const next = rotation.body.refresh_token as string;
    expect(next).toEqual(expect.any(String));
    expect(next).not.toBe(liveRefresh.token);
    const newAccess = rotation.body.access_token as string;
    const introspected = await introspect(node.issuer, newAccess, PASSWORD_APP);
    expect(introspected.body).toMatchObject({ active: true, scope: SCOPE, sub: accountId, amr: ['pwd'] });

    // A second run now must not bring the rotated token back (it is linked, so left as it is).
    const again = await importDjangoTokens(writer, first, targets, { dryRun: false });
    expect(again).toEqual({
      accessTokens: { imported: 0, unchanged: 2 },
      refreshTokens: { imported: 0, unchanged: 1 },
      clientCredentials: { imported: 0, unchanged: 1 },
      skipped: { expired: 2, revoked: 1, unknownClient: 1, unknownUser: 1 },
      revokedSinceImport: 0,
      unknownScopes: [],
    });

    // RFC 9700 §4.14.2: the rotated token presented again fails and revokes the grant.
    const reuse = await refresh(node.issuer, liveRefresh.token, PASSWORD_APP);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await introspect(node.issuer, newAccess, PASSWORD_APP)).body).toEqual({ active: false });
    expect((await introspect(node.issuer, live.token, PASSWORD_APP)).body).toEqual({ active: false });
    expect((await refresh(node.issuer, next, PASSWORD_APP)).status).toBe(400);
  });

  it('refuses an imported refresh token to another client', async () => {
    const at = accessToken();
    const rt = refreshToken(at);
    await importDjangoTokens(writer, snapshot([at], [rt]), targets, { dryRun: false });
    // RFC 6749 §6: the refresh token was issued to another client.
    const answer = await refresh(node.issuer, rt.token, OTHER_APP);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect((await refresh(node.issuer, rt.token, PASSWORD_APP)).status).toBe(200);
  });

  it('revokes a carried refresh token that DOT revoked since, with its chain', async () => {
    const at = accessToken();
    const rt = refreshToken(at);
    await importDjangoTokens(writer, snapshot([at], [rt]), targets, { dryRun: false });
    expect((await introspect(node.issuer, at.token, PASSWORD_APP)).body.active).toBe(true);
    // DOT rotated it after the first run (RefreshToken.revoke: revoked set, its access token deleted).
    const successor = accessToken({ sourceRefreshTokenId: rt.id });
    const successorRefresh = refreshToken(successor);
    const revokedAtDot = { ...rt, revoked: new Date(), accessTokenId: null };
    const later = snapshot([successor], [revokedAtDot, successorRefresh]);
    const rerun = await importDjangoTokens(writer, later, targets, { dryRun: false });
    expect(rerun.revokedSinceImport).toBe(1);
    expect(rerun.refreshTokens.imported).toBe(1);
    expect((await introspect(node.issuer, at.token, PASSWORD_APP)).body).toEqual({ active: false });
    expect((await refresh(node.issuer, rt.token, PASSWORD_APP)).body.error).toBe('invalid_grant');
    // What DOT issued instead works, in a chain of its own.
    expect((await introspect(node.issuer, successor.token, PASSWORD_APP)).body.active).toBe(true);
    expect((await refresh(node.issuer, successorRefresh.token, PASSWORD_APP)).status).toBe(200);
    expect((await importDjangoTokens(writer, later, targets, { dryRun: false })).revokedSinceImport).toBe(0);
  });

  it('writes nothing on a dry run, and reports what a run would write', async () => {
    const at = accessToken();
    const rt = refreshToken(at);
    const cc = accessToken({ userId: null, applicationId: '11', scope: 'read legacy-scope' });
    const count = async () => {
      const [payloads, links] = await Promise.all([
        node.services.db('oidc_payloads').count<{ count: string }[]>({ count: '*' }).first(),
        node.services.db('import_links').count<{ count: string }[]>({ count: '*' }).first(),
      ]);
      return [Number(payloads!.count), Number(links!.count)];
    };
    const before = await count();
    const progress: [number, number][] = [];
    const dry = await importDjangoTokens(writer, snapshot([at, cc], [rt]), targets, {
      dryRun: true,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(dry.accessTokens.imported).toBe(1);
    expect(dry.refreshTokens.imported).toBe(1);
    expect(dry.clientCredentials.imported).toBe(1);
    // A scope the provider does not know (EXTRA_SCOPES does not list it) is carried, and named.
    expect(dry.unknownScopes).toEqual(['legacy-scope']);
    expect(await count()).toEqual(before);
    expect((await introspect(node.issuer, at.token, PASSWORD_APP)).body).toEqual({ active: false });
    expect(progress.at(-1)).toEqual([3, 3]);
  });

  it('lets two imports of one snapshot at once write each token once', async () => {
    const at = accessToken();
    const rt = refreshToken(at);
    const both = await Promise.all([
      importDjangoTokens(writer, snapshot([at], [rt]), targets, { dryRun: false }),
      importDjangoTokens(writer, snapshot([at], [rt]), targets, { dryRun: false }),
    ]);
    expect(both.map((r) => r.refreshTokens.imported).sort()).toEqual([0, 1]);
    expect(both.map((r) => r.refreshTokens.unchanged).sort()).toEqual([0, 1]);
    const grants = await node.services.db('oidc_payloads').where({ model: 'Grant', account_id: accountId });
    const rows = await node.services.db('oidc_payloads').whereIn('id', [at.token, rt.token]);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row: { grant_id: string }) => row.grant_id)).size).toBe(1);
    expect(grants.map((g: { id: string }) => g.id)).toContain(rows[0].grant_id);
  });
});

/** DOT's default scopes (`read write`), which the provider knows through EXTRA_SCOPES. */
describe('importDjangoTokens with EXTRA_SCOPES', () => {
  let node: TestServer;
  let accountId: string;
  const at = accessToken({ scope: 'read write' });
  const rt = refreshToken(at);

  beforeAll(async () => {
    node = await startTestServer({ env: { EXTRA_SCOPES: 'read write' } });
    const { accounts, clients } = node.services;
    accountId = (await accounts.create({ username: 'django-bob', password: 'correct horse battery' })).id;
    await clients.save(
      buildClientMetadata(
        { name: 'DOT app', grantTypes: ['password', 'refresh_token'], scope: 'read write' },
        PASSWORD_APP.id,
        PASSWORD_APP.secret,
      ),
    );
    const targets = {
      accountIdByUserId: new Map([['1', accountId]]),
      clientIdByApplicationId: new Map([['10', PASSWORD_APP.id]]),
    };
    const report = await importDjangoTokens(createTokenWriter(node.services), snapshot([at], [rt]), targets, {
      dryRun: false,
    });
    expect(report.unknownScopes).toEqual([]);
    expect(report.refreshTokens.imported).toBe(1);
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('keeps the scopes through introspection and a refresh', async () => {
    expect((await introspect(node.issuer, at.token, PASSWORD_APP)).body).toMatchObject({
      active: true,
      scope: 'read write',
      sub: accountId,
    });
    const rotation = await refresh(node.issuer, rt.token, PASSWORD_APP);
    expect(rotation.status).toBe(200);
    expect(rotation.body.scope).toBe('read write');
    const again = await introspect(node.issuer, rotation.body.access_token as string, PASSWORD_APP);
    expect(again.body).toMatchObject({ active: true, scope: 'read write', client_id: PASSWORD_APP.id });
  });
});
