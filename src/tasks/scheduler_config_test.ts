import assert from "node:assert/strict";
import {
  parseSchedulerToml,
  readSchedulerToml,
  resolveSchedules,
  type SchedulerFile,
} from "./scheduler_config.ts";

function parsed(text: string): SchedulerFile {
  const result = parseSchedulerToml(text, "scheduler.toml");
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

Deno.test("scheduler.toml gives a timezone and schedules in file order", () => {
  const file = parsed(`# comment
timezone = "Europe/Berlin"

[tasks]
maintenance_plan = "0 7 * * 1"
"report-daily" = "30 17 * * 1-5"
`);
  assert.equal(file.timezone, "Europe/Berlin");
  assert.deepEqual(file.schedules, [
    { name: "maintenance_plan", expression: "0 7 * * 1", line: 5 },
    { name: "report-daily", expression: "30 17 * * 1-5", line: 6 },
  ]);
  assert.deepEqual(file.warnings, []);
});

Deno.test("an empty or commented-out scheduler.toml schedules nothing", () => {
  for (const text of ["", '# [tasks]\n# x = "0 7 * * 1"\n', "[tasks]\n"]) {
    const file = parsed(text);
    assert.deepEqual([file.timezone, file.schedules.length, file.warnings.length], [
      undefined,
      0,
      0,
    ]);
  }
});

Deno.test("a TOML syntax error is reported with line and column", () => {
  const result = parseSchedulerToml(`[tasks]\na = "0 7 * * 1"\nb = "0 7 * * 1\n`, "scheduler.toml");
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.error.message, /^scheduler\.toml line 3, column \d+: \S/);
});

Deno.test("an unknown timezone makes the file unusable, with the line", () => {
  const result = parseSchedulerToml(`\ntimezone = "Mars/Olympus"\n`, "scheduler.toml");
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.match(
      result.error.message,
      /scheduler\.toml line 2: timezone must be an IANA time zone/,
    );
    assert.match(result.error.message, /Mars\/Olympus/);
  }
  assert.equal(parseSchedulerToml(`[tasks]\n`, "x").ok, true);
  assert.equal(parseSchedulerToml(`tasks = "nope"\n`, "x").ok, false);
});

Deno.test("bad entries are skipped with a warning naming the line; the rest are kept", () => {
  const file = parsed(`colour = "blue"
[tasks]
good = "0 7 * * 1"
numeric = 5
invalid = "0 25 * * *"
ghost = "0 7 * * *"
broken = "0 7 * * *"
`);
  assert.deepEqual(file.warnings, [
    "scheduler.toml line 1: unknown key `colour` ignored (expected timezone or [tasks])",
    'scheduler.toml line 4: the schedule of `numeric` must be a string such as "0 7 * * 1", ' +
    "got 5; it is not scheduled",
  ]);
  const resolved = resolveSchedules(
    file,
    "scheduler.toml",
    new Set(["good", "invalid", "other"]),
    new Set(["broken"]),
  );
  assert.deepEqual([...resolved.entries.keys()], ["good"]);
  const warnings = resolved.warnings.slice(2);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0], /^scheduler\.toml line 5: schedule of `invalid`: .*hour/);
  assert.match(
    warnings[1],
    /^scheduler\.toml line 6: there is no task `ghost`.*known tasks: good, invalid, other/,
  );
  assert.match(
    warnings[2],
    /^scheduler\.toml line 7: `broken` is scheduled but its file could not be loaded/,
  );
});

Deno.test("a missing scheduler.toml means no schedules", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await readSchedulerToml(`${dir}/scheduler.toml`);
    assert.equal(result.ok, true);
    if (result.ok) assert.equal(result.value.schedules.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostTimeZone names the zone Intl names (UTC when none), for several host settings", async () => {
  const module = new URL("./scheduler_config.ts", import.meta.url).href;
  const code = `import { hostTimeZone } from ${JSON.stringify(module)};
    console.log(JSON.stringify([hostTimeZone(), Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC"]));`;
  for (
    const tz of ["UTC", "Europe/Berlin", "US/Eastern", "Asia/Calcutta", "EST5EDT", "Bogus/Zone"]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
      env: { TZ: tz, NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const [host, intl] = JSON.parse(text);
    assert.equal(host, intl, `TZ=${tz}`);
  }
});
