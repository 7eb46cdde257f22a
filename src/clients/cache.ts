/**
 * An in-process cache of client metadata. Clients are read on nearly every request (token,
 * introspection, userinfo, API) and change rarely, so a node keeps them in memory and drops an entry
 * when it hears that the client changed: from its own writes at once, and from other processes (other
 * nodes, the CLI) through PostgreSQL's LISTEN/NOTIFY on CLIENTS_CHANNEL. An entry also expires after
 * `ttlMs`, a bound on staleness should a notification ever be missed.
 */
/** The NOTIFY channel on which every write to a client is announced (payload: the client id). */
export const CLIENTS_CHANNEL = 'gatehouse_clients';

/** Generic in what it holds, so that the store it serves is not imported back (no cycle). */
export class ClientCache<V = unknown> {
  private readonly entries = new Map<string, { value: V; storedAt: number }>();
  /** Bumped by every invalidation: a read that began before one must not fill the cache. */
  private generation = 0;
  /** False while no notifications can be heard (another process's write would go unseen). */
  private enabled: boolean;

  constructor(private readonly options: { ttlMs: number; maxEntries: number; enabled: boolean }) {
    this.enabled = options.enabled;
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
    // A copy: the provider builds its client from what it is given.
    return structuredClone(entry.value);
  }

  set(clientId: string, value: V, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    if (this.entries.size >= this.options.maxEntries) {
      // Maps keep insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(clientId, { value: structuredClone(value), storedAt: Date.now() });
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
