/**
 * Reads the output of `manage.py dumpdata auth.user auth.group oauth2_provider` (Django's JSON
 * serializer: an array of `{ "model", "pk", "fields" }`; docs "Serializing Django objects"), from
 * any database engine, into a DjangoSnapshot. Foreign keys are primary keys, or natural keys when
 * dumped with --natural-foreign (a user as `["username"]`, a group as `["name"]`). The whole dump is
 * checked before anything is returned: a malformed one is refused with one line that names the
 * entry and the field, never a value (a value may be a password hash or a secret).
 */
import fs from 'node:fs/promises';
import { DjangoSourceError } from './errors';
import type {
  DjangoAccessToken,
  DjangoApplication,
  DjangoGroup,
  DjangoIdToken,
  DjangoRefreshToken,
  DjangoSnapshot,
  DjangoUser,
} from './source';
import { parseDjangoDateTime } from './times';

export interface DumpdataOptions {
  /** The IANA zone of naive datetimes (a project with USE_TZ=False); default UTC. */
  timeZone?: string;
}

type Fields = Record<string, unknown>;
type Key = string | string[];

interface Entry {
  model: string;
  pk: string;
  fields: Fields;
  index: number;
}

/** What this reader takes; other models in the dump (permissions, DOT's grants) are left out. */
const MODELS = new Set([
  'auth.user',
  'auth.group',
  'oauth2_provider.application',
  'oauth2_provider.accesstoken',
  'oauth2_provider.refreshtoken',
  'oauth2_provider.idtoken',
]);

class FieldReader {
  constructor(
    private readonly entry: Entry,
    private readonly zone: string,
  ) {}

  fail(field: string, what: string): never {
    throw new DjangoSourceError(
      `entry ${this.entry.index} (${this.entry.model} ${this.entry.pk}): ${field} ${what}`,
    );
  }

  string(field: string, optional = false): string {
    const value = this.entry.fields[field];
    if (value === undefined && optional) return '';
    if (typeof value !== 'string') this.fail(field, 'is not a string');
    return value;
  }

  boolean(field: string, fallback?: boolean): boolean {
    const value = this.entry.fields[field];
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(field, 'is not true or false');
    return value;
  }

  date(field: string): Date {
    const date = this.optionalDate(field);
    if (!date) this.fail(field, 'is missing');
    return date;
  }

  optionalDate(field: string): Date | null {
    const value = this.entry.fields[field];
    if (value === null || value === undefined) return null;
    const date = typeof value === 'string' ? parseDjangoDateTime(value, this.zone) : null;
    if (!date) this.fail(field, 'is not an ISO 8601 datetime');
    return date;
  }

  /** A foreign key: a primary key, a natural key (an array of strings), or null. */
  key(field: string): Key | null {
    const value = this.entry.fields[field];
    if (value === null || value === undefined) return null;
    return toKey(value) ?? this.fail(field, 'is not a primary key or a natural key');
  }

  keys(field: string): Key[] {
    const value = this.entry.fields[field] ?? [];
    if (!Array.isArray(value)) this.fail(field, 'is not a list of keys');
    return value.map((item) => toKey(item) ?? this.fail(field, 'is not a list of keys'));
  }
}

function toKey(value: unknown): Key | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  return null;
}

function entries(data: unknown): Entry[] {
  if (!Array.isArray(data))
    throw new DjangoSourceError('not a dumpdata file: expected a JSON array of {model, pk, fields}');
  const out: Entry[] = [];
  data.forEach((item: unknown, index) => {
    const { model, pk, fields } = (item ?? {}) as { model?: unknown; pk?: unknown; fields?: unknown };
    if (typeof model !== 'string' || typeof fields !== 'object' || fields === null || Array.isArray(fields))
      throw new DjangoSourceError(`entry ${index}: not a {model, pk, fields} object`);
    if (!MODELS.has(model)) return;
    if (pk === undefined || pk === null)
      throw new DjangoSourceError(
        `entry ${index} (${model}): no pk (dumped with --natural-primary?): run dumpdata without --natural-primary`,
      );
    const key = toKey(pk);
    if (typeof key !== 'string') throw new DjangoSourceError(`entry ${index} (${model}): pk is not a key`);
    out.push({ model, pk: key, fields: fields as Fields, index });
  });
  return out;
}

/** Resolves keys of one model: a primary key as it is, a natural key through `byNaturalKey`. */
function resolver(model: string, byNaturalKey: Map<string, string>, pks: Set<string>) {
  return (key: Key | null, where: FieldReader, field: string): string | null => {
    if (key === null) return null;
    const pk = typeof key === 'string' ? key : key.length === 1 ? byNaturalKey.get(key[0]!) : undefined;
    if (pk === undefined || !pks.has(pk)) where.fail(field, `names no ${model} in the dump`);
    return pk;
  };
}

const splitUris = (value: string) => value.split(/\s+/).filter(Boolean);

/** Parses a dump's text. `origin` names it in the snapshot (the file's path). */
export function parseDumpdata(text: string, origin: string, options: DumpdataOptions = {}): DjangoSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the error, which may be a hash or a secret.
    throw new DjangoSourceError('not JSON (a dumpdata file is one JSON array)');
  }
  const zone = options.timeZone ?? 'UTC';
  const all = entries(data);
  const of = (model: string) =>
    all.filter((e) => e.model === model).map((e) => ({ e, f: new FieldReader(e, zone) }));
  const pksOf = (model: string) => new Set(all.filter((e) => e.model === model).map((e) => e.pk));

  const groupRows = of('auth.group');
  const groups: DjangoGroup[] = groupRows.map(({ e, f }) => ({ id: e.pk, name: f.string('name') }));
  const userRows = of('auth.user');
  const groupKey = resolver('auth.group', new Map(groups.map((g) => [g.name, g.id])), pksOf('auth.group'));
  const usernames = new Map(userRows.map(({ e }) => [String(e.fields.username), e.pk]));
  const userKey = resolver('auth.user', usernames, pksOf('auth.user'));

  const users: DjangoUser[] = userRows.map(({ e, f }) => ({
    id: e.pk,
    username: f.string('username'),
    password: f.string('password'),
    email: f.string('email', true),
    firstName: f.string('first_name', true),
    lastName: f.string('last_name', true),
    isActive: f.boolean('is_active', true),
    isStaff: f.boolean('is_staff', false),
    isSuperuser: f.boolean('is_superuser', false),
    dateJoined: f.date('date_joined'),
    lastLogin: f.optionalDate('last_login'),
    groupIds: f.keys('groups').map((key) => groupKey(key, f, 'groups')!),
  }));

  // An application's natural key is its client_id (DOT's ApplicationManager.get_by_natural_key);
  // tokens have none, so they refer to each other by primary key.
  const appRows = all.filter((e) => e.model === 'oauth2_provider.application');
  const clientIds = new Map(appRows.map((e) => [String(e.fields.client_id), e.pk]));
  const appKey = resolver('oauth2_provider.application', clientIds, pksOf('oauth2_provider.application'));
  const applications: DjangoApplication[] = of('oauth2_provider.application').map(({ e, f }) => {
    const type = f.string('client_type');
    const clientType =
      type === 'confidential' || type === 'public'
        ? type
        : f.fail('client_type', 'is not confidential or public');
    return {
      id: e.pk,
      clientId: f.string('client_id'),
      clientSecret: f.string('client_secret', true),
      clientType,
      authorizationGrantType: f.string('authorization_grant_type'),
      redirectUris: splitUris(f.string('redirect_uris', true)),
      postLogoutRedirectUris: splitUris(f.string('post_logout_redirect_uris', true)),
      skipAuthorization: f.boolean('skip_authorization', false),
      algorithm: f.string('algorithm', true),
      name: f.string('name', true),
      userId: userKey(f.key('user'), f, 'user'),
      created: f.optionalDate('created'),
    };
  });

  // A token may name a row the dump left out (one deleted while dumping, an id token of a model not
  // dumped): such a reference is kept as a key, and the token writer decides what it means.
  const looseKey = (key: Key | null, f: FieldReader, field: string): string | null => {
    if (key === null) return null;
    if (typeof key !== 'string') f.fail(field, 'is not a primary key');
    return key;
  };
  const accessTokens: DjangoAccessToken[] = of('oauth2_provider.accesstoken').map(({ e, f }) => ({
    id: e.pk,
    token: f.string('token'),
    userId: userKey(f.key('user'), f, 'user'),
    applicationId: appKey(f.key('application'), f, 'application'),
    expires: f.date('expires'),
    scope: f.string('scope', true),
    sourceRefreshTokenId: looseKey(f.key('source_refresh_token'), f, 'source_refresh_token'),
    idTokenId: looseKey(f.key('id_token'), f, 'id_token'),
    created: f.optionalDate('created'),
  }));
  const refreshTokens: DjangoRefreshToken[] = of('oauth2_provider.refreshtoken').map(({ e, f }) => {
    const userId = userKey(f.key('user'), f, 'user') ?? f.fail('user', 'is missing');
    const applicationId =
      appKey(f.key('application'), f, 'application') ?? f.fail('application', 'is missing');
    return {
      id: e.pk,
      token: f.string('token'),
      userId,
      applicationId,
      accessTokenId: looseKey(f.key('access_token'), f, 'access_token'),
      revoked: f.optionalDate('revoked'),
      created: f.optionalDate('created'),
    };
  });
  const idTokens: DjangoIdToken[] = of('oauth2_provider.idtoken').map(({ e, f }) => ({
    id: e.pk,
    jti: f.string('jti'),
    userId: userKey(f.key('user'), f, 'user'),
    applicationId: appKey(f.key('application'), f, 'application'),
    expires: f.date('expires'),
  }));

  if (!users.length && !groups.length && !applications.length)
    throw new DjangoSourceError(
      'no auth.user, auth.group or oauth2_provider.application entries: dump them with `manage.py dumpdata auth.user auth.group oauth2_provider`',
    );
  return { groups, users, applications, accessTokens, refreshTokens, idTokens, origin };
}

/** Reads and parses a dump file. */
export async function readDumpdata(file: string, options: DumpdataOptions = {}): Promise<DjangoSnapshot> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DjangoSourceError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`,
    );
  }
  try {
    return parseDumpdata(text, file, options);
  } catch (err) {
    if (err instanceof DjangoSourceError) throw new DjangoSourceError(`${file}: ${err.message}`);
    throw err;
  }
}
