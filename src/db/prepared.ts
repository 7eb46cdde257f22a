/**
 * Named prepared statements for the hot paths (the token look-up, the upsert, the consume), run on a
 * connection of knex's own pool but below knex: PostgreSQL parses and plans each statement once per
 * connection (the extended protocol's Parse under a name, then only Bind/Execute), and no query
 * builder, binding formatter or runner runs per request. Everything else stays with knex.
 *
 * The one place that reaches into knex's client (acquireConnection / releaseConnection, the pool
 * every other query uses, with its acquire timeout): a dead connection is flagged by knex's own error
 * listener and dropped by its pool on release, and a refused one fails as it does through knex, so
 * db/unavailable.ts sees the same errors. On an embedded PGlite (in process) the text runs through
 * knex.raw, which is the same statement without the name; through an owner's socket it runs below
 * knex too, unnamed (NAMED_STATEMENTS).
 */
import type { Knex } from 'knex';

/** A pool or a transaction (database.ts Executor, spelled out here: database.ts imports this module). */
type Executor = Knex | Knex.Transaction;

export interface StatementResult<Row> {
  rows: Row[];
  rowCount: number;
}

interface PgConnection {
  query(config: {
    name?: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * Set to false in a knex configuration whose pg connections share one server session: an embedded
 * database's owner serves every connection from its one PGlite session (embedded/session-queue.ts),
 * where a statement name prepared by one connection exists for all and a second Parse of it fails.
 */
export const NAMED_STATEMENTS = 'gatehouseNamedStatements';

interface KnexPgClient {
  config: { client?: unknown; [NAMED_STATEMENTS]?: boolean };
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

let counter = 0;

/** `?` placeholders (knex's) numbered for the wire ($1, $2, …); the statements hold no literal `?`. */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${(n += 1)}`);
}

export class PreparedStatement<Row = Record<string, unknown>> {
  /** Unique per process: a name is prepared once on each connection that runs it. */
  private readonly name = `gatehouse_${(counter += 1)}`;
  private readonly wireText: string;

  /** `text` with knex's `?` placeholders, as it would be given to knex.raw. */
  constructor(private readonly text: string) {
    if (/\$\d/.test(text)) throw new Error('a prepared statement takes ? placeholders');
    this.wireText = numbered(text);
  }

  /** Runs on the pool (named, prepared per connection) or, inside a transaction, on it through knex. */
  async run(executor: Executor, values: unknown[]): Promise<StatementResult<Row>> {
    const client = executor.client as KnexPgClient;
    if (client.config.client !== 'pg' || isTransaction(executor)) {
      const result = (await executor.raw(this.text, values as Knex.RawBinding[])) as {
        rows: Row[];
        rowCount?: number | null;
        affectedRows?: number;
      };
      return { rows: result.rows, rowCount: Number(result.rowCount ?? result.affectedRows ?? 0) };
    }
    // knex's query events, as its runner emits them: what watches reachability and counts queries
    // sees these statements too.
    const query = { sql: this.text, bindings: values, method: 'raw', prepared: this.name };
    const connection = await client.acquireConnection();
    try {
      executor.emit('query', query);
      const named = client.config[NAMED_STATEMENTS] !== false;
      const result = await connection.query({
        ...(named && { name: this.name }),
        text: this.wireText,
        values,
      });
      executor.emit('query-response', result, query);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (err) {
      executor.emit('query-error', err, query);
      throw err;
    } finally {
      await client.releaseConnection(connection);
    }
  }
}

function isTransaction(executor: Executor): boolean {
  return (executor as Knex.Transaction).isTransaction === true;
}
