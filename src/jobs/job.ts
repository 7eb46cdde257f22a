/**
 * The interval runner under every background job of a node (purge, key refresh). A job ticks every
 * `intervalSeconds` (0: never) on an unref'd timer, so it never keeps a process alive; `stop` clears
 * the timer at once and resolves when the ticks still running have ended, so whatever they do is
 * done before the node closes the database under them.
 */

export interface JobOptions {
  /** Seconds between ticks; 0 turns the job off. */
  intervalSeconds: number;
  /** One tick's work. */
  run(): Promise<void>;
  /** A tick that failed: reported here, and the next tick runs as usual. */
  onError(err: unknown): void;
}

export interface Job {
  /** Clears the timer in the caller's turn; resolves once no tick is running. */
  stop(): Promise<void>;
}

export function startJob(options: JobOptions): Job {
  if (!options.intervalSeconds) return { stop: async () => undefined };
  const running = new Set<Promise<void>>();
  const timer = setInterval(function tick() {
    const work = options.run().catch((err: unknown) => options.onError(err));
    running.add(work);
    void work.then(() => running.delete(work));
  }, options.intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(running);
    },
  };
}
