/**
 * The summary of `gatehouse import django` as text: counts per kind, every password hash format
 * found and whether Gatehouse verifies it, collisions, clients refused and why, tokens. It names
 * users, groups and client ids; never a password hash, a secret or a token.
 */
import type { DjangoImportReport } from './import';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function counts(kind: { created: number; updated: number; unchanged: number }, verb: string): string {
  return `${kind.created} ${verb}, ${kind.updated} updated, ${kind.unchanged} unchanged`;
}

function tally<T extends string>(values: T[]): string {
  const byValue = new Map<T, number>();
  for (const v of values) byValue.set(v, (byValue.get(v) ?? 0) + 1);
  return [...byValue].map(([v, n]) => `${n} ${v.replace(/_/g, ' ')}`).join(', ');
}

export function formatImportReport(report: DjangoImportReport): string {
  const verb = report.dryRun ? 'to create' : 'created';
  const { groups, users, applications, tokens } = report;
  const lines: string[] = [
    report.dryRun
      ? `Dry run: nothing was written. Read from ${report.source}.`
      : `Imported from ${report.source}.`,
    '',
    `groups:       ${groups.created} roles ${verb}, ${groups.existing} existing, ${groups.skipped.length} skipped`,
  ];
  for (const s of groups.skipped)
    lines.push(`  skipped group ${JSON.stringify(s.group)}: ${s.reason.replace(/_/g, ' ')}`);

  lines.push(`users:        ${counts(users, verb)}, ${users.skipped.length} skipped (of ${users.total})`);
  if (users.skipped.length) lines.push(`  skipped: ${tally(users.skipped.map((s) => s.reason))}`);
  for (const c of users.collisions) {
    const what =
      c.with === 'case'
        ? `Django users ${c.djangoUserIds.join(', ')} differ only in case; user ${c.imported} comes over`
        : `a Gatehouse account has this name already; Django user ${c.djangoUserIds[0]} is skipped`;
    lines.push(`  collision ${c.username}: ${what}`);
  }
  for (const s of users.skipped.filter((s) => s.reason !== 'collision'))
    lines.push(`  skipped ${s.username} (Django user ${s.djangoUserId}): ${s.reason.replace(/_/g, ' ')}`);

  lines.push('password hashes:');
  for (const f of users.hashFormats) {
    const state =
      f.format === 'unusable'
        ? 'unusable in Django: imported without a password'
        : f.imported
          ? 'supported, imported'
          : f.supported
            ? 'weak: imported without a password (--allow-weak-hashes imports it)'
            : 'not supported: imported without a password';
    lines.push(`  ${f.format.padEnd(16)} ${String(f.count).padStart(6)}  ${state}`);
  }
  if (!users.hashFormats.length) lines.push('  (none)');

  lines.push(
    `applications: ${counts(applications, verb)}, ${applications.refused.length} refused (of ${applications.total})`,
  );
  if (applications.hashedSecrets)
    lines.push(
      `  ${plural(applications.hashedSecrets, 'client secret')} hashed (verified at the first authentication)`,
    );
  for (const r of applications.refused) lines.push(`  refused ${r.clientId}: ${r.reason}`);

  if (!tokens) lines.push('tokens:       not imported (--no-tokens)');
  else {
    const imported = report.dryRun ? 'to import' : 'imported';
    lines.push(
      `access tokens:  ${tokens.accessTokens.imported} ${imported}, ${tokens.accessTokens.unchanged} unchanged`,
      `refresh tokens: ${tokens.refreshTokens.imported} ${imported}, ${tokens.refreshTokens.unchanged} unchanged`,
      `client credentials tokens: ${tokens.clientCredentials.imported} ${imported}, ${tokens.clientCredentials.unchanged} unchanged`,
      `  skipped: ${tokens.skipped.expired} expired, ${tokens.skipped.revoked} revoked, ` +
        `${tokens.skipped.unknownClient} of a client not imported, ${tokens.skipped.unknownUser} of a user not imported`,
    );
    if (tokens.unknownScopes.length)
      lines.push(
        `  scopes the provider does not know (add them to EXTRA_SCOPES): ${tokens.unknownScopes.join(' ')}`,
      );
  }
  if (report.idTokens)
    lines.push(`id tokens:    ${report.idTokens} not carried over (Gatehouse issues its own)`);
  return lines.join('\n');
}
