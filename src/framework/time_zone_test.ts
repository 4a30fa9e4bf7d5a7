import assert from "node:assert/strict";
import { isTimeZone } from "./time_zone.ts";

/** What the formatter alone accepts: the answer before the canonical-name shortcut. */
function formatterAccepts(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

Deno.test("isTimeZone: canonical names, UTC, aliases and other spellings are accepted", () => {
  for (
    const zone of [
      "Europe/Berlin",
      "America/New_York",
      "UTC",
      "Etc/UTC",
      "US/Eastern",
      "europe/berlin",
      "Etc/GMT+5",
    ]
  ) {
    assert.equal(isTimeZone(zone), true, zone);
  }
});

Deno.test("isTimeZone: typos and non-zones are refused", () => {
  for (
    const zone of ["Europe/Berln", "Mars/Olympus", "", " Europe/Berlin", "Etc/Unknown", "+01:00x"]
  ) {
    assert.equal(isTimeZone(zone), false, zone);
  }
});

Deno.test("isTimeZone agrees with the formatter on every canonical name and some odd ones", () => {
  const odd = ["GMT", "Zulu", "Asia/Calcutta", "Asia/Kolkata", "EST5EDT", "Europe/Kiev", "utc"];
  for (const zone of [...Intl.supportedValuesOf("timeZone"), ...odd]) {
    assert.equal(isTimeZone(zone), formatterAccepts(zone), zone);
  }
});
