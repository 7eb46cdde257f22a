/**
 * Not a module of the suite (its Dynamic OP plan registers, never manages): RFC 7592's client
 * configuration endpoint. The registration access token reads the client (§2.1), updates it with
 * the whole metadata (§2.2; an OP may rotate the token, and the answer then carries the new one),
 * and deletes it (§2.3: 204, then the token and the client are gone: 401 on a read).
 * Without the token, or with another client's, the endpoint answers 401 (§2, RFC 6750 §3.1).
 */
import { defineModule } from '../module';
import { check } from '../result';

export default defineModule({
  name: 'client-registration-management',
  plan: 'dynamic',
  summary: 'RFC 7592: read, update and delete a registered client with its registration access token',
  async run(ctx) {
    const client = await ctx.registerClient({ client_name: 'Battery management check' });
    const read = await ctx.manageClient(client, 'GET');
    check(read.status === 200, `reading the client answered ${read.status}, not 200 (RFC 7592 §2.1)`);
    check(read.body.client_id === client.id, 'the read answer names another client_id');
    check(read.body.client_name === 'Battery management check', 'the read answer lost client_name');

    // §2.2: the request carries every field the client wants kept, client_id included, and no
    // registration_access_token, registration_client_uri, client_secret_expires_at, client_id_issued_at.
    const {
      registration_access_token: _t,
      registration_client_uri: _u,
      client_secret_expires_at: _e,
      client_id_issued_at: _i,
      ...kept
    } = read.body;
    const updated = await ctx.manageClient(client, 'PUT', {
      ...kept,
      client_name: 'Battery management check, renamed',
    });
    check(
      updated.status === 200,
      `updating the client answered ${updated.status}, not 200 (RFC 7592 §2.2): ${String(updated.body.error_description ?? updated.body.error ?? '')}`,
    );
    check(
      updated.body.client_name === 'Battery management check, renamed',
      'the update answer does not carry the new client_name',
    );
    if (typeof updated.body.registration_access_token === 'string')
      client.registrationAccessToken = updated.body.registration_access_token;

    const again = await ctx.manageClient(client, 'GET');
    check(
      again.status === 200 && again.body.client_name === 'Battery management check, renamed',
      'the update did not last',
    );

    const stranger = await ctx.manageClient(
      { ...client, registrationAccessToken: 'not-a-registration-access-token' },
      'GET',
    );
    check(stranger.status === 401, `a wrong registration access token answered ${stranger.status}, not 401`);

    const deleted = await ctx.manageClient(client, 'DELETE');
    check(deleted.status === 204, `deleting the client answered ${deleted.status}, not 204 (RFC 7592 §2.3)`);
    const gone = await ctx.manageClient(client, 'GET');
    check(gone.status === 401, `reading a deleted client answered ${gone.status}, not 401 (RFC 7592 §2.3)`);
  },
});
