/**
 * An in-process cache of what nearly every request reads and little changes: client metadata (token,
 * introspection, userinfo, API) and the registry of APIs (every token for a resource server). A node
 * keeps them in memory and drops an entry when it hears that it changed: from its own writes at
 * once, and from other processes (other nodes, the CLI) through PostgreSQL's LISTEN/NOTIFY on the
 * store's channel (notifications.ts). An entry also expires after `ttlMs`, a bound on staleness
 * should a notification ever be missed.
 *
 * Entries are deep-frozen copies handed out as they are: no copy per read (the provider hashes and
 * reads a client's metadata on every request, and never writes it), and a caller that tried to
 * change one would fail loudly instead of changing what every other request sees.
 */
import type { Database } from '../db/database';

/** The NOTIFY channel on which every write to a client is announced (payload: the client id). */
export const CLIENTS_CHANNEL = 'gatehouse_clients';

function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Generic in what it holds, so that the store it serves is not imported back (no cycle). */
export class RegistryCache<V = unknown> {
  private readonly entries = new Map<string, { value: V; storedAt: number }>();
  /** Bumped by every invalidation: a read that began before one must not fill the cache. */
  private generation = 0;
  /** False while no notifications can be heard (another process's write would go unseen). */
  private enabled: boolean;

  constructor(
    private readonly options: {
      ttlMs: number;
      maxEntries: number;
      enabled: boolean;
      /** The NOTIFY channel the store's writes announce themselves on (notifications.ts listens). */
      channel: string;
    },
  ) {
    this.enabled = options.enabled;
  }

  get channel(): string {
    return this.options.channel;
  }

  /** The cached entry, or what `load` reads (kept unless a write raced it; nothing is not kept). */
  async read(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const cached = this.get(key);
    if (cached) return cached;
    const generation = this.begin();
    const value = await load();
    if (value) this.set(key, value, generation);
    return value;
  }

  /**
   * Runs a store's write and announces it in the same transaction (NOTIFY is delivered at commit),
   * then forgets this process's copy.
   */
  async write<T>(db: Database, key: string, change: (trx: Database) => Promise<T>): Promise<T> {
    try {
      return await db.transaction(async (trx) => {
        const result = await change(trx);
        await trx.raw('select pg_notify(?, ?)', [this.options.channel, key]);
        return result;
      });
    } finally {
      this.invalidate(key);
    }
  }

  /** The generation to hand back to `set` with a value read from the database. */
  begin(): number {
    return this.generation;
  }

  get(clientId: string): V | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(clientId);
    if (!entry) return undefined;
    if (Date.now() - entry.storedAt > this.options.ttlMs) {
      this.entries.delete(clientId);
      return undefined;
    }
    return entry.value;
  }

  set(clientId: string, value: V, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    if (this.entries.size >= this.options.maxEntries) {
      // Maps keep insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(clientId, { value: deepFreeze(structuredClone(value)), storedAt: Date.now() });
  }

  invalidate(clientId: string): void {
    this.generation += 1;
    this.entries.delete(clientId);
  }

  /** Turns caching on (notifications are heard) or off (they may not be), forgetting everything. */
  setEnabled(enabled: boolean): void {
    this.generation += 1;
    this.entries.clear();
    this.enabled = enabled;
  }
}
