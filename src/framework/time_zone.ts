/**
 * Time zone names as operators write them (IANA, e.g. `Europe/Berlin`), checked against what
 * this runtime knows, so a typo is reported at startup rather than at the first schedule.
 *
 * @module
 */

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
