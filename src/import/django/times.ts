/**
 * Django's datetimes as instants. With USE_TZ=True (Django's default since 5.0, and in every project
 * `startproject` made since 1.4) Django stores and dumps aware values (`2026-12-02T12:45:48.468Z`);
 * with USE_TZ=False it dumps naive ones (`2026-12-02T12:45:48.468`) that mean wall-clock time in the
 * project's TIME_ZONE setting. A naive value is read in the zone the operator names (`--time-zone`,
 * an IANA name such as `Europe/Berlin`), UTC unless told: Django's own default TIME_ZONE.
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at `instant`, in milliseconds (positive east of Greenwich). */
function zoneOffset(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * Parses an ISO 8601 datetime as Django writes it (its serializer, or PostgreSQL's text form of a
 * `timestamp`); null when it is not one. A value without an offset is wall-clock time in `zone`.
 */
export function parseDjangoDateTime(value: string, zone: string): Date | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const ms = frac ? Math.floor(Number(frac.padEnd(6, '0')) / 1000) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
  if (Number.isNaN(wall)) return null;
  let instant: number;
  if (offset === 'Z') instant = wall;
  else if (offset) {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    instant = wall - sign * minutes * 60_000;
  } else if (zone === 'UTC') instant = wall;
  else {
    // The offset at the wall time read as UTC, then again at the instant that gives (a DST change
    // between the two moves it); a wall time inside a spring-forward gap lands an hour later.
    const first = wall - zoneOffset(wall, zone);
    instant = wall - zoneOffset(first, zone);
  }
  const date = new Date(instant);
  return Number.isNaN(date.getTime()) ? null : date;
}
