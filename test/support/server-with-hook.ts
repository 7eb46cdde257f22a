/**
 * A test node that delivers its one-time codes and links to a webhook receiver started with it (the
 * setup of the sign-in tests that read a code or a link from what the node sent), and one stop for both.
 */
import { startWebhookReceiver, webhookDelivery, type WebhookReceiver } from './receivers';
import { startTestServer, type TestServer } from './server';

export interface ServerWithHook {
  node: TestServer;
  hook: WebhookReceiver;
  /** Stops the node, then the receiver (also when the node's stop fails). */
  stop(): Promise<void>;
}

/** Starts the receiver, then a node delivering to it with `env` added. */
export async function startServerWithHook(env: Record<string, string> = {}): Promise<ServerWithHook> {
  const hook = await startWebhookReceiver();
  const node = await startTestServer({ env: { ...webhookDelivery(hook), ...env } }).catch(async (error) => {
    await hook.close();
    throw error;
  });
  return { node, hook, stop: () => node.stop().finally(() => hook.close()) };
}
