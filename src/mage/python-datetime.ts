/**
 * Dates as Python prints them. Mage hands blocks `execution_date` & co. as datetimes; through
 * `--runtime-vars` (JSON, not parsed back) they arrive as strings, so they are given in the exact
 * text `str(datetime)` prints, which SQL templates (`{{ execution_date }}`) then render as under Mage.
 */

/** A UTC instant and whether Mage holds it as a naive datetime (API runs: `utcnow()`) or a UTC-aware one. */
export interface MageDatetime {
  date: Date;
  naive: boolean;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Microseconds within the second; JavaScript dates carry milliseconds, so the last three digits are 0. */
function microseconds(date: Date): number {
  return date.getUTCMilliseconds() * 1000;
}

/**
 * `strftime` for the directives Mage's partitions and `ds`/`hr` use (`%Y %m %d %H %M %S %f`), in UTC.
 * Any other `%x` is refused, so a typo cannot silently produce a wrong path.
 */
export function strftime(date: Date, format: string): string {
  return format.replace(/%(.)/g, (_whole, directive: string) => {
    switch (directive) {
      case 'Y':
        return pad(date.getUTCFullYear(), 4);
      case 'm':
        return pad(date.getUTCMonth() + 1);
      case 'd':
        return pad(date.getUTCDate());
      case 'H':
        return pad(date.getUTCHours());
      case 'M':
        return pad(date.getUTCMinutes());
      case 'S':
        return pad(date.getUTCSeconds());
      case 'f':
        return pad(microseconds(date), 6);
      case '%':
        return '%';
      default:
        throw new RangeError(`strftime: unsupported directive %${directive}`);
    }
  });
}

/** `str(datetime)`: `2024-01-01 00:00:00+00:00` (aware UTC) or `2024-01-01 12:34:56.123000` (naive); the fraction only when not 0. */
export function pythonDatetimeText(value: MageDatetime): string {
  const fraction = microseconds(value.date) === 0 ? '' : `.${strftime(value.date, '%f')}`;
  return `${strftime(value.date, '%Y-%m-%d %H:%M:%S')}${fraction}${value.naive ? '' : '+00:00'}`;
}

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * What `str(dateutil.parser.parse(text))` prints for the ISO forms (date, date and time, fraction,
 * `Z` or an offset, which dateutil keeps as given). Returns undefined for any other text: Mage's
 * parse is far more liberal, and such values are passed on unchanged rather than guessed at.
 */
export function reprintParsedDatetime(text: string): string | undefined {
  const match = ISO_LIKE.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction, zone] = match;
  const micros = fraction ? fraction.padEnd(6, '0') : '';
  const offset = zone === undefined ? '' : zone === 'Z' ? '+00:00' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  return `${year}-${month}-${day} ${hour}:${minute}:${second}${micros && Number(micros) !== 0 ? `.${micros}` : ''}${offset}`;
}
