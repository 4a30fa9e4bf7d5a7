/**
 * Time zone names as operators write them (IANA, e.g. `Europe/Berlin`), checked against what
 * this runtime knows, so a typo is reported at startup rather than at the first schedule.
 *
 * The check avoids building an `Intl.DateTimeFormat` for the usual names: the first one loads
 * ICU's locale and calendar data (~5 MB resident for the life of the process), which a bot
 * that never formats a date in a zone does not need. The list of canonical zone names costs
 * a fraction of that; aliases (`US/Eastern`), other spellings and typos still go through the
 * formatter, so what is accepted does not change.
 *
 * @module
 */

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (zone === "UTC" || Intl.supportedValuesOf("timeZone").includes(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
