/**
 * A real node behind a proxy that forgets X-Forwarded-Proto (a classic deployment mistake) once
 * failed discovery over https; with an https issuer the node now takes the scheme from the issuer,
 * and the same proxy passes. (That the battery cannot pass vacuously, against a fake OP, is the
 * package's own test: conformance/test/fake-op.test.ts.)
 */
import { runCli } from '../support/cli';
import { startHttpsNode, type HttpsNode } from './https-node';

describe('a node with an https issuer behind a proxy that forgets X-Forwarded-Proto', () => {
  let https: HttpsNode;

  beforeAll(async () => {
    https = await startHttpsNode({ forwardProto: false });
  }, 60_000);

  afterAll(async () => {
    await https?.close();
  });

  it('passes discovery: an https issuer makes every endpoint https whatever the hop; the CLI exits 0', async () => {
    const { code, stdout, stderr } = await runCli(
      ['conformance', '--issuer', https.issuer, '--plan', 'config'],
      {
        NODE_EXTRA_CA_CERTS: https.certificate.certFile,
      },
    );
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'PASS    oidcc-discovery-endpoint-verification',
      'PASS    oidcc-discovery-jwks-verification',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
