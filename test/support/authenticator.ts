/**
 * A software WebAuthn authenticator for the passkey tests, written from the specification: WebAuthn
 * §6.1 authenticator data, §6.5.4 attestation object with the "none" format, §6.3.3 assertion
 * signature over authenticatorData ‖ SHA-256(clientDataJSON), ES256 keys as COSE_Key (RFC 9053 §7.1).
 * It holds one credential and answers navigator.credentials.create() and .get() as a browser would
 * pass them on, so the ceremonies run against real signatures without a browser.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** The relying party of the passkey tests (PasskeyCeremonies' options and the authenticator's default). */
export const TEST_RP = { rpId: 'id.example.test', rpName: 'Gatehouse', origin: 'https://id.example.test' };

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/** base64url, the encoding of every binary field of a WebAuthn response in JSON. */
export const b64url = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/** Authenticator data flags (WebAuthn §6.1): user present, user verified, attested credential data. */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/** A software authenticator holding one ES256 credential for TEST_RP. */
export class SoftAuthenticator {
  readonly id = randomBytes(32);
  counter = 0;
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject };

  constructor(
    readonly userHandle: string,
    /** An authenticator that keeps no counter says 0 every time (§6.1.1). */
    private readonly counts = true,
  ) {
    this.key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  }

  private authData(flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([
      sha256(TEST_RP.rpId),
      Buffer.from([flags]),
      count,
      ...(attested ? [attested] : []),
    ]);
  }

  private coseKey(): Buffer {
    const jwk = this.key.publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    return Buffer.from(isoCBOR.encode(cose));
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(): an attestation of the "none" format. */
  create(challenge: string, options: { origin?: string } = {}) {
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.id.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.id, this.coseKey()]);
    const authData = this.authData(UP | UV | AT, this.counter, attested);
    const attestation = new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authData],
    ]);
    return {
      id: b64url(this.id),
      rawId: b64url(this.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(
          this.clientData('webauthn.create', challenge, options.origin ?? TEST_RP.origin),
        ),
        attestationObject: b64url(isoCBOR.encode(attestation as never)),
        transports: ['internal'],
      },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): an assertion, counting the use unless told which count to say. */
  get(
    challenge: string,
    options: { verified?: boolean; counter?: number; userHandle?: string; origin?: string } = {},
  ) {
    if (options.counter === undefined && this.counts) this.counter += 1;
    const counter = options.counter ?? (this.counts ? this.counter : 0);
    const authData = this.authData(options.verified === false ? UP : UP | UV, counter);
    const clientData = this.clientData('webauthn.get', challenge, options.origin ?? TEST_RP.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.key.privateKey);
    return {
      id: b64url(this.id),
      rawId: b64url(this.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: b64url(Buffer.from(options.userHandle ?? this.userHandle)),
      },
      clientExtensionResults: {},
    };
  }
}
