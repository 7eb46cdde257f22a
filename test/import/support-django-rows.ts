/**
 * Django rows for the importer's tests, written the two ways the importer reads them: as
 * `manage.py dumpdata` JSON, and as rows of a PostgreSQL database with Django's tables (the columns
 * and types of `manage.py migrate` with Django 3.2 and django-oauth-toolkit 1.7, read with `\d`).
 * Password hashes are made as Django's hashers make them (django/contrib/auth/hashers.py), with
 * Node's crypto.
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** PBKDF2PasswordHasher.encode: `pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>`. */
export function pbkdf2Hash(password: string, iterations = 1000): string {
  const salt = randomBytes(9).toString('hex');
  const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${iterations}$${salt}$${hash}`;
}

/** MD5PasswordHasher.encode: `md5$<salt>$<hex md5(salt + password)>` (a weak format). */
export function md5Hash(password: string): string {
  const salt = randomBytes(6).toString('hex');
  return `md5$${salt}$${createHash('md5')
    .update(salt + password)
    .digest('hex')}`;
}

export interface UserRow {
  id: number;
  username: string;
  password: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  is_active?: boolean;
  is_staff?: boolean;
  is_superuser?: boolean;
  date_joined: string;
  last_login?: string | null;
  groups?: number[];
}

export interface ApplicationRow {
  id: number;
  client_id: string;
  client_secret: string;
  client_type: 'confidential' | 'public';
  authorization_grant_type: string;
  redirect_uris?: string;
  name: string;
  skip_authorization?: boolean;
  algorithm?: string;
  user?: number | null;
}

export interface AccessTokenRow {
  id: number;
  token: string;
  user: number | null;
  application: number;
  expires: string;
  scope: string;
}

export interface DjangoRows {
  groups: { id: number; name: string }[];
  users: UserRow[];
  applications: ApplicationRow[];
  accessTokens: AccessTokenRow[];
}

const CREATED = '2025-01-02T03:04:05.678Z';

/** The rows as `manage.py dumpdata auth.user auth.group oauth2_provider` writes them. */
export function dumpdata(rows: DjangoRows): string {
  const entries = [
    ...rows.groups.map((g) => ({ model: 'auth.group', pk: g.id, fields: { name: g.name, permissions: [] } })),
    ...rows.users.map((u) => ({
      model: 'auth.user',
      pk: u.id,
      fields: {
        password: u.password,
        last_login: u.last_login ?? null,
        is_superuser: u.is_superuser ?? false,
        username: u.username,
        first_name: u.first_name ?? '',
        last_name: u.last_name ?? '',
        email: u.email ?? '',
        is_staff: u.is_staff ?? false,
        is_active: u.is_active ?? true,
        date_joined: u.date_joined,
        groups: u.groups ?? [],
        user_permissions: [],
      },
    })),
    ...rows.applications.map((a) => ({
      model: 'oauth2_provider.application',
      pk: a.id,
      fields: {
        client_id: a.client_id,
        user: a.user ?? null,
        redirect_uris: a.redirect_uris ?? '',
        client_type: a.client_type,
        authorization_grant_type: a.authorization_grant_type,
        client_secret: a.client_secret,
        name: a.name,
        skip_authorization: a.skip_authorization ?? false,
        created: CREATED,
        updated: CREATED,
        algorithm: a.algorithm ?? '',
      },
    })),
    ...rows.accessTokens.map((t) => ({
      model: 'oauth2_provider.accesstoken',
      pk: t.id,
      fields: {
        user: t.user,
        source_refresh_token: null,
        token: t.token,
        id_token: null,
        application: t.application,
        expires: t.expires,
        scope: t.scope,
        created: CREATED,
        updated: CREATED,
      },
    })),
  ];
  return JSON.stringify(entries, null, 1);
}

/**
 * Django's tables as `migrate` makes them (the columns the importer reads and their types; DOT 1.7
 * without oauth2_provider_idtoken, as before DOT 1.5), with the rows.
 */
export async function createDjangoDatabase(url: string, rows: DjangoRows): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      create table auth_group (id serial primary key, name varchar(150) not null unique);
      create table auth_user (
        id serial primary key, password varchar(128) not null, last_login timestamptz,
        is_superuser boolean not null, username varchar(150) not null unique,
        first_name varchar(150) not null, last_name varchar(150) not null, email varchar(254) not null,
        is_staff boolean not null, is_active boolean not null, date_joined timestamptz not null);
      create table auth_user_groups (id bigserial primary key, user_id integer not null references auth_user,
        group_id integer not null references auth_group);
      create table oauth2_provider_application (
        id bigserial primary key, client_id varchar(100) not null unique, redirect_uris text not null,
        client_type varchar(32) not null, authorization_grant_type varchar(32) not null,
        client_secret varchar(255) not null, name varchar(255) not null, user_id integer references auth_user,
        skip_authorization boolean not null, created timestamptz not null, updated timestamptz not null,
        algorithm varchar(5) not null);
      create table oauth2_provider_accesstoken (
        id bigserial primary key, token varchar(255) not null unique, expires timestamptz not null,
        scope text not null, application_id bigint references oauth2_provider_application,
        user_id integer references auth_user, created timestamptz not null, updated timestamptz not null,
        source_refresh_token_id bigint unique, id_token_id bigint unique);
      create table oauth2_provider_refreshtoken (
        id bigserial primary key, token varchar(255) not null, access_token_id bigint unique,
        application_id bigint not null, user_id integer not null, created timestamptz not null,
        updated timestamptz not null, revoked timestamptz);`);
    for (const g of rows.groups) await client.query('insert into auth_group values ($1, $2)', [g.id, g.name]);
    for (const u of rows.users) {
      await client.query('insert into auth_user values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)', [
        u.id,
        u.password,
        u.last_login ?? null,
        u.is_superuser ?? false,
        u.username,
        u.first_name ?? '',
        u.last_name ?? '',
        u.email ?? '',
        u.is_staff ?? false,
        u.is_active ?? true,
        u.date_joined,
      ]);
      for (const group of u.groups ?? [])
        await client.query('insert into auth_user_groups (user_id, group_id) values ($1, $2)', [u.id, group]);
    }
    for (const a of rows.applications)
      await client.query(
        'insert into oauth2_provider_application values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10,$11)',
        [
          a.id,
          a.client_id,
          a.redirect_uris ?? '',
          a.client_type,
          a.authorization_grant_type,
          a.client_secret,
          a.name,
          a.user ?? null,
          a.skip_authorization ?? false,
          CREATED,
          a.algorithm ?? '',
        ],
      );
    for (const t of rows.accessTokens)
      await client.query(
        'insert into oauth2_provider_accesstoken (id, token, expires, scope, application_id, user_id, created, updated) values ($1,$2,$3,$4,$5,$6,$7,$7)',
        [t.id, t.token, t.expires, t.scope, t.application, t.user, CREATED],
      );
  } finally {
    await client.end();
  }
}
