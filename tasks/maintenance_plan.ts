/**
 * Posts this week's maintenance plan from maintenance_plan.md (beside this file) to the
 * channel named on that file's first line. An example of a task plugin: it reads a file it
 * asked for in PERMISSIONS, works out "this week" in the scheduler's timezone, and posts
 * through the bot's client.
 *
 * Schedule it in scheduler.toml, e.g. `maintenance_plan = "0 7 * * 1"` (Mondays 07:00).
 */

import type { Client4, TaskContext, TaskPermissions } from "../src/tasks/types.ts";

export const DESCRIPTION = "Posts this week's maintenance plan from tasks/maintenance_plan.md";

const PLAN = new URL("./maintenance_plan.md", import.meta.url);

/** Reading the plan is the only extra this task needs. */
export const PERMISSIONS: TaskPermissions = { read: [PLAN] };

export async function run(client: Client4, ctx: TaskContext): Promise<void> {
  const text = await Deno.readTextFile(PLAN);
  const channelId = /^<!--\s*channel:\s*([a-z0-9]*)\s*-->/.exec(text)?.[1] ?? "";
  if (channelId === "") {
    throw new Error(
      "No channel set: put the channel id on the first line of tasks/maintenance_plan.md, " +
        "as <!-- channel: abc… --> (send !id <channel> to the bot to find it)",
    );
  }
  const monday = mondayOf(todayIn(ctx.timeZone));
  const sections = parseSections(text);
  const body = sections.get(`Week of ${monday}`) ?? sections.get("Every week");
  if (body === undefined) {
    throw new Error(`maintenance_plan.md has no "## Week of ${monday}" or "## Every week" section`);
  }
  const channel = await client.getChannel(channelId);
  await ctx.post(channel.id, `#### Maintenance plan — week of ${monday}\n\n${body}`);
  ctx.log.info("Posted the plan for the week of {monday} to ~{channel}", {
    monday,
    channel: channel.name,
  });
}

/** `## Heading` → the text under it (comments and blank edges removed). */
function parseSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  const withoutComments = markdown.replace(/<!--[\s\S]*?-->/g, "");
  for (const part of withoutComments.split(/^## /m).slice(1)) {
    const newline = part.indexOf("\n");
    const heading = (newline < 0 ? part : part.slice(0, newline)).trim();
    const body = newline < 0 ? "" : part.slice(newline + 1).trim();
    if (body !== "") sections.set(heading, body);
  }
  return sections;
}

/** Today's date (YYYY-MM-DD) in a timezone. */
function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date());
}

/** The Monday (YYYY-MM-DD) of the ISO week containing `date`. */
function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}
