/**
 * The registry of APIs (resource servers). A client names one with a resource indicator (RFC 8707)
 * and gets an access token whose audience is its identifier, in its format (a JWT per RFC 9068, or
 * an opaque token that is introspected) and with its lifetime. The provider reads it through
 * features.resourceIndicators (oidc/features/resource-indicators.ts); the admin API and the CLI
 * manage it through this store, which validates everything it is given.
 */
import { recordAudit } from '../audit/record';
import type { Database } from '../db/database';
import { isStorableText } from '../db/text';
import { GatehouseError, badRequest, type FieldErrors } from '../errors';
import { RegistryCache } from './cache';

/** The NOTIFY channel on which every write to an API is announced (payload: its identifier). */
export const RESOURCE_SERVERS_CHANNEL = 'gatehouse_resource_servers';

export type AccessTokenFormat = 'jwt' | 'opaque';
export const ACCESS_TOKEN_FORMATS: readonly AccessTokenFormat[] = ['jwt', 'opaque'];

export interface ResourceServer {
  /** Absolute URI, no fragment (RFC 8707 §2): the audience of its tokens. */
  identifier: string;
  name: string | null;
  /** The API's own scopes (not OIDC scopes). */
  scopes: string[];
  /** Access token format (RFC 9068 for jwt). */
  format: AccessTokenFormat;
  /** Access token lifetime. */
  ttlSeconds: number;
  createdAt: Date;
}

export type ResourceServerInput = Omit<ResourceServer, 'createdAt'>;
export type ResourceServerChanges = Partial<Omit<ResourceServer, 'identifier' | 'createdAt'>>;

export interface ResourceServerStore {
  /**
   * This process's copies of registered APIs (every token for one reads it), on while the node hears
   * other processes' writes (clients/notifications.ts).
   */
  readonly cache: RegistryCache<ResourceServer>;
  find(identifier: string): Promise<ResourceServer | null>;
  list(): Promise<ResourceServer[]>;
  /** Throws a GatehouseError with code `conflict` when the identifier is registered already. */
  create(input: ResourceServerInput): Promise<ResourceServer>;
  update(identifier: string, changes: ResourceServerChanges): Promise<ResourceServer | null>;
  delete(identifier: string): Promise<boolean>;
}

/** Access token lifetimes an API may ask for: a minute to a day. */
export const TTL_RANGE = { min: 60, max: 86_400 } as const;
const MAX_IDENTIFIER_LENGTH = 2048;
const MAX_NAME_LENGTH = 200;
const MAX_SCOPES = 100;
/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export interface ResourceServerRules {
  /** http identifiers too (outside production); https only otherwise. */
  allowHttp: boolean;
}

/** What is wrong with an identifier, or null. */
export function identifierProblem(identifier: unknown, rules: ResourceServerRules): string | null {
  if (typeof identifier !== 'string' || !identifier) return 'required';
  if (identifier.length > MAX_IDENTIFIER_LENGTH || !isStorableText(identifier)) return 'too long or not text';
  const url = URL.parse(identifier);
  // RFC 8707 §2: an absolute URI; it MUST NOT include a fragment and SHOULD NOT include a query.
  if (!url) return 'must be an absolute URI';
  if (identifier.includes('#')) return 'must not contain a fragment';
  if (url.search || identifier.includes('?')) return 'must not contain a query';
  if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:'))
    return rules.allowHttp ? 'must be an https (or http) URI' : 'must be an https URI';
  if (url.username || url.password) return 'must not contain credentials';
  if (/\s/.test(identifier)) return 'must not contain spaces';
  return null;
}

function fieldProblems(changes: ResourceServerChanges): FieldErrors {
  const problems: FieldErrors = {};
  const { name, scopes, format, ttlSeconds } = changes;
  if (name !== undefined && name !== null) {
    if (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME_LENGTH || !isStorableText(name))
      problems.name = `must be 1 to ${MAX_NAME_LENGTH} characters`;
  }
  if (scopes !== undefined) {
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > MAX_SCOPES)
      problems.scopes = `must list 1 to ${MAX_SCOPES} scopes`;
    else if (!scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope)))
      problems.scopes = 'each must be an RFC 6749 scope token (no spaces, quotes or backslashes)';
    else if (scopes.includes('openid'))
      // OpenID Connect's scopes belong to the provider; an API's scopes are its own.
      problems.scopes = 'must not include openid';
  }
  if (format !== undefined && !ACCESS_TOKEN_FORMATS.includes(format))
    problems.format = 'must be jwt or opaque';
  if (
    ttlSeconds !== undefined &&
    (!Number.isInteger(ttlSeconds) || ttlSeconds < TTL_RANGE.min || ttlSeconds > TTL_RANGE.max)
  )
    problems.ttl_seconds = `must be a whole number of seconds from ${TTL_RANGE.min} to ${TTL_RANGE.max}`;
  return problems;
}

interface ResourceServerRow {
  identifier: string;
  name: string | null;
  scopes: string[] | string;
  format: AccessTokenFormat;
  ttl_seconds: number;
  created_at: Date;
  updated_at: Date;
}

function toResourceServer(row: ResourceServerRow): ResourceServer {
  return {
    identifier: row.identifier,
    name: row.name,
    scopes: typeof row.scopes === 'string' ? (JSON.parse(row.scopes) as string[]) : row.scopes,
    format: row.format,
    ttlSeconds: row.ttl_seconds,
    createdAt: new Date(row.created_at),
  };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505';
}

export class KnexResourceServerStore implements ResourceServerStore {
  /** Off until the owner says notifications are heard, as the client cache (clients/store.ts). */
  readonly cache = new RegistryCache<ResourceServer>({
    ttlMs: 60_000,
    maxEntries: 1_000,
    enabled: false,
    channel: RESOURCE_SERVERS_CHANNEL,
  });

  constructor(
    private readonly db: Database,
    private readonly rules: ResourceServerRules = { allowHttp: false },
  ) {}

  /** A registered API: from this process's cache, else the database (unknown ones are not cached). */
  async find(identifier: string): Promise<ResourceServer | null> {
    if (typeof identifier !== 'string' || !isStorableText(identifier)) return null;
    return this.cache.read(identifier, async () => {
      const row = await this.db<ResourceServerRow>('resource_servers')
        .where('identifier', identifier)
        .first();
      return row ? toResourceServer(row) : null;
    });
  }

  /** A write, announced to every process's cache (RegistryCache.write). */
  private write<T>(identifier: string, change: (trx: Database) => Promise<T>): Promise<T> {
    return this.cache.write(this.db, identifier, change);
  }

  async list(): Promise<ResourceServer[]> {
    const rows = await this.db<ResourceServerRow>('resource_servers').orderBy('identifier');
    return rows.map(toResourceServer);
  }

  async create(input: ResourceServerInput): Promise<ResourceServer> {
    const problems = fieldProblems(input);
    const identifier = identifierProblem(input.identifier, this.rules);
    if (identifier) problems.identifier = identifier;
    if (input.scopes === undefined) problems.scopes = 'required';
    if (input.format === undefined) problems.format = 'required';
    if (input.ttlSeconds === undefined) problems.ttl_seconds = 'required';
    if (Object.keys(problems).length) throw badRequest('invalid resource server', problems);
    const now = new Date();
    try {
      return await this.write(input.identifier, async (trx) => {
        const [row] = await trx<ResourceServerRow>('resource_servers')
          .insert({
            identifier: input.identifier,
            name: input.name ?? null,
            scopes: JSON.stringify(unique(input.scopes)),
            format: input.format,
            ttl_seconds: input.ttlSeconds,
            created_at: now,
            updated_at: now,
          })
          .returning('*');
        await recordAudit(trx, { type: 'api.created', target: { type: 'api', id: input.identifier } });
        return toResourceServer(row as ResourceServerRow);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new GatehouseError(
          'conflict',
          409,
          `an API with identifier ${input.identifier} exists already`,
        );
      throw err;
    }
  }

  async update(identifier: string, changes: ResourceServerChanges): Promise<ResourceServer | null> {
    const problems = fieldProblems(changes);
    if (Object.keys(problems).length) throw badRequest('invalid resource server', problems);
    if (!isStorableText(identifier)) return null;
    const patch: Partial<ResourceServerRow> = { updated_at: new Date() };
    if (changes.name !== undefined) patch.name = changes.name;
    if (changes.scopes !== undefined) patch.scopes = JSON.stringify(unique(changes.scopes));
    if (changes.format !== undefined) patch.format = changes.format;
    if (changes.ttlSeconds !== undefined) patch.ttl_seconds = changes.ttlSeconds;
    return this.write(identifier, async (trx) => {
      const before = await trx<ResourceServerRow>('resource_servers')
        .where('identifier', identifier)
        .forUpdate()
        .first();
      if (!before) return null;
      const [row] = await trx<ResourceServerRow>('resource_servers')
        .where('identifier', identifier)
        .update(patch)
        .returning('*');
      const previous = toResourceServer(before);
      const next = toResourceServer(row as ResourceServerRow);
      // The names of the fields whose values changed (api.updated).
      const fields = (['name', 'scopes', 'format', 'ttlSeconds'] as const)
        .filter((field) => JSON.stringify(previous[field]) !== JSON.stringify(next[field]))
        .map((field) => (field === 'ttlSeconds' ? 'ttl_seconds' : field));
      if (fields.length)
        await recordAudit(trx, {
          type: 'api.updated',
          target: { type: 'api', id: identifier },
          data: { fields },
        });
      return next;
    });
  }

  async delete(identifier: string): Promise<boolean> {
    if (!isStorableText(identifier)) return false;
    return this.write(identifier, async (trx) => {
      const deleted = await trx('resource_servers').where('identifier', identifier).delete();
      if (deleted) await recordAudit(trx, { type: 'api.deleted', target: { type: 'api', id: identifier } });
      return deleted > 0;
    });
  }
}

function unique(scopes: string[]): string[] {
  return [...new Set(scopes)];
}
