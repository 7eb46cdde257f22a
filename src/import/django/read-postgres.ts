/**
 * Reads a Django project's PostgreSQL database into a DjangoSnapshot: `auth_user`, `auth_group`,
 * `auth_user_groups` and django-oauth-toolkit's `oauth2_provider_*` tables, in the schema the URL's
 * search_path selects. Everything is read in one `REPEATABLE READ READ ONLY` transaction (PostgreSQL
 * §13.2.2: one snapshot for every statement in it), so a token and the user it names come from the
 * same moment even while Django keeps serving, and nothing can be written. Which tables and columns
 * exist is read from information_schema: DOT added `oauth2_provider_idtoken` in 1.5, `algorithm` in
 * 1.5 and `post_logout_redirect_uris` in 2.3; what is missing reads as empty.
 */
import pg from 'pg';
import { DjangoSourceError } from './errors';
import type { DjangoSnapshot } from './source';
import { parseDjangoDateTime } from './times';

export interface PostgresSourceOptions {
  /** The IANA zone of `timestamp without time zone` columns (a hand-made schema); default UTC. */
  timeZone?: string;
}

const TABLES = [
  'auth_user',
  'auth_group',
  'auth_user_groups',
  'oauth2_provider_application',
  'oauth2_provider_accesstoken',
  'oauth2_provider_refreshtoken',
  'oauth2_provider_idtoken',
] as const;
type Table = (typeof TABLES)[number];

// PostgreSQL type OIDs (pg_type.dat): timestamp without time zone.
const TIMESTAMP_OID = 1114;

/** The URL as the summary may show it: scheme, host, port and database; never the user's password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return 'postgres://?';
    return `postgres://${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres://?';
  }
}

type Row = Record<string, unknown>;

class Reader {
  constructor(
    private readonly client: pg.Client,
    private readonly columns: Map<Table, Set<string>>,
    private readonly zone: string,
  ) {}

  has(table: Table, column?: string): boolean {
    const columns = this.columns.get(table);
    return Boolean(columns && (column === undefined || columns.has(column)));
  }

  /** Selects `wanted` columns (those missing as null), in primary-key order. */
  async rows(table: Table, wanted: string[]): Promise<Row[]> {
    if (!this.has(table)) return [];
    const list = wanted.map((c) => (this.has(table, c) ? `"${c}"` : `null as "${c}"`)).join(', ');
    const result = await this.client.query<Row>(`select ${list} from "${table}" order by id`);
    return result.rows;
  }

  date(value: unknown, what: string): Date | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Date) return value;
    const date = typeof value === 'string' ? parseDjangoDateTime(value, this.zone) : null;
    if (!date) throw new DjangoSourceError(`${what}: not a datetime`);
    return date;
  }
}

const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const key = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const uris = (value: unknown) => text(value).split(/\s+/).filter(Boolean);

async function readSnapshot(reader: Reader, origin: string): Promise<DjangoSnapshot> {
  const required = (value: unknown, what: string): Date => {
    const date = reader.date(value, what);
    if (!date) throw new DjangoSourceError(`${what}: missing`);
    return date;
  };
  const groups = (await reader.rows('auth_group', ['id', 'name'])).map((r) => ({
    id: text(r.id),
    name: text(r.name),
  }));
  const memberships = new Map<string, string[]>();
  for (const r of await reader.rows('auth_user_groups', ['id', 'user_id', 'group_id'])) {
    const list = memberships.get(text(r.user_id)) ?? [];
    list.push(text(r.group_id));
    memberships.set(text(r.user_id), list);
  }
  const users = (
    await reader.rows('auth_user', [
      'id',
      'username',
      'password',
      'email',
      'first_name',
      'last_name',
      'is_active',
      'is_staff',
      'is_superuser',
      'date_joined',
      'last_login',
    ])
  ).map((r) => ({
    id: text(r.id),
    username: text(r.username),
    password: text(r.password),
    email: text(r.email),
    firstName: text(r.first_name),
    lastName: text(r.last_name),
    isActive: r.is_active !== false,
    isStaff: r.is_staff === true,
    isSuperuser: r.is_superuser === true,
    dateJoined: required(r.date_joined, `auth_user ${text(r.id)} date_joined`),
    lastLogin: reader.date(r.last_login, `auth_user ${text(r.id)} last_login`),
    groupIds: memberships.get(text(r.id)) ?? [],
  }));
  const applications = (
    await reader.rows('oauth2_provider_application', [
      'id',
      'client_id',
      'client_secret',
      'client_type',
      'authorization_grant_type',
      'redirect_uris',
      'post_logout_redirect_uris',
      'skip_authorization',
      'algorithm',
      'name',
      'user_id',
      'created',
    ])
  ).map((r) => {
    const clientType = text(r.client_type);
    if (clientType !== 'confidential' && clientType !== 'public')
      throw new DjangoSourceError(
        `oauth2_provider_application ${text(r.id)}: client_type is not confidential or public`,
      );
    return {
      id: text(r.id),
      clientId: text(r.client_id),
      clientSecret: text(r.client_secret),
      clientType: clientType as 'confidential' | 'public',
      authorizationGrantType: text(r.authorization_grant_type),
      redirectUris: uris(r.redirect_uris),
      postLogoutRedirectUris: uris(r.post_logout_redirect_uris),
      skipAuthorization: r.skip_authorization === true,
      algorithm: text(r.algorithm),
      name: text(r.name),
      userId: key(r.user_id),
      created: reader.date(r.created, `oauth2_provider_application ${text(r.id)} created`),
    };
  });
  const accessTokens = (
    await reader.rows('oauth2_provider_accesstoken', [
      'id',
      'token',
      'user_id',
      'application_id',
      'expires',
      'scope',
      'source_refresh_token_id',
      'id_token_id',
      'created',
    ])
  ).map((r) => ({
    id: text(r.id),
    token: text(r.token),
    userId: key(r.user_id),
    applicationId: key(r.application_id),
    expires: required(r.expires, `oauth2_provider_accesstoken ${text(r.id)} expires`),
    scope: text(r.scope),
    sourceRefreshTokenId: key(r.source_refresh_token_id),
    idTokenId: key(r.id_token_id),
    created: reader.date(r.created, `oauth2_provider_accesstoken ${text(r.id)} created`),
  }));
  const refreshTokens = (
    await reader.rows('oauth2_provider_refreshtoken', [
      'id',
      'token',
      'user_id',
      'application_id',
      'access_token_id',
      'revoked',
      'created',
    ])
  ).map((r) => ({
    id: text(r.id),
    token: text(r.token),
    userId: text(r.user_id),
    applicationId: text(r.application_id),
    accessTokenId: key(r.access_token_id),
    revoked: reader.date(r.revoked, `oauth2_provider_refreshtoken ${text(r.id)} revoked`),
    created: reader.date(r.created, `oauth2_provider_refreshtoken ${text(r.id)} created`),
  }));
  const idTokens = (
    await reader.rows('oauth2_provider_idtoken', ['id', 'jti', 'user_id', 'application_id', 'expires'])
  ).map((r) => ({
    id: text(r.id),
    jti: text(r.jti),
    userId: key(r.user_id),
    applicationId: key(r.application_id),
    expires: required(r.expires, `oauth2_provider_idtoken ${text(r.id)} expires`),
  }));
  return { groups, users, applications, accessTokens, refreshTokens, idTokens, origin };
}

/** Reads the Django database at `url` (read-only, one snapshot). */
export async function readDjangoPostgres(
  url: string,
  options: PostgresSourceOptions = {},
): Promise<DjangoSnapshot> {
  const origin = describePostgresUrl(url);
  if (origin === 'postgres://?') throw new DjangoSourceError('--database-url must be a postgres:// URL');
  const client = new pg.Client({
    connectionString: url,
    application_name: 'gatehouse import django',
    // A naive timestamp is read as text and placed in --time-zone here, not in this process's zone.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === TIMESTAMP_OID
          ? (value: string) => value
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped connection would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new DjangoSourceError(`cannot connect to ${origin}: ${(err as Error).message}`);
  }
  try {
    await client.query('begin isolation level repeatable read read only');
    const found = await client.query<{ table_name: Table; column_name: string }>(
      `select table_name, column_name from information_schema.columns
        where table_schema = current_schema() and table_name = any($1)`,
      [TABLES],
    );
    const columns = new Map<Table, Set<string>>();
    for (const { table_name, column_name } of found.rows) {
      const set = columns.get(table_name) ?? new Set<string>();
      set.add(column_name);
      columns.set(table_name, set);
    }
    if (!columns.has('auth_user'))
      throw new DjangoSourceError(
        `${origin} has no auth_user table: not a Django database (or another schema)`,
      );
    const snapshot = await readSnapshot(new Reader(client, columns, options.timeZone ?? 'UTC'), origin);
    await client.query('commit');
    return snapshot;
  } catch (err) {
    if (err instanceof DjangoSourceError) throw err;
    throw new DjangoSourceError(`cannot read ${origin}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
