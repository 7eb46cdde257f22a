/**
 * A real node with an https issuer behind the local TLS terminator (tls.ts), as the https runs of
 * the battery need it: PROXY=true, a free port for the terminator, and one close() for all three.
 */
import fs from 'node:fs';
import { freePort, startTestServer, type TestServer } from '../support/server';
import { BATTERY_ENV } from './support';
import { selfSignedCertificate, startTerminator, type Certificate } from './tls';

export interface HttpsNode {
  node: TestServer;
  issuer: string;
  certificate: Certificate;
  close(): Promise<void>;
}

export async function startHttpsNode(
  options: { forwardProto?: boolean; prepare?: (node: TestServer) => Promise<void> } = {},
): Promise<HttpsNode> {
  const certificate = selfSignedCertificate();
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const node = await startTestServer({ env: { ...BATTERY_ENV, PROXY: 'true', ISSUER: issuer } });
  await options.prepare?.(node);
  const terminator = await startTerminator(certificate, Number(new URL(node.url).port), {
    port,
    ...(options.forwardProto === undefined ? {} : { forwardProto: options.forwardProto }),
  });
  return {
    node,
    issuer,
    certificate,
    async close() {
      await terminator.close();
      await node.stop();
      fs.rmSync(certificate.dir, { recursive: true, force: true });
    },
  };
}
