/**
 * Lists of people: `!lists` (names and counts), `!lists <name>` (its people), and `!add_list`
 * (administrators: adds lists to channels.toml's `[lists]`, comments kept, every person
 * checked against the team first).
 *
 * @module
 */

import { type Command, logger, parseUserRef, type UserRef } from "@postbot/framework";
import { defuseMentions, visible } from "@postbot/framework/text";
import type { ChannelsStore } from "../channels/channels_file.ts";
import { parseListInput } from "../channels/list_input.ts";
import { nameKey } from "../channels/parse.ts";
import { code, plural, quote, sharingWarning } from "../format.ts";
import type { PeopleLookup, TeamPerson } from "../targets/resolution.ts";

const log = logger("lists");

/** What the list commands read and write. */
export interface ListsDeps {
  readonly channels: Pick<ChannelsStore, "config">;
  readonly people: Pick<PeopleLookup, "teamPeople">;
}

/** What `!add_list` writes to. */
export interface ListEditing {
  readonly channels: Pick<ChannelsStore, "addLists">;
  readonly people: Pick<PeopleLookup, "teamPeople">;
}

/** The active person of the team an entry names, if any. */
function personOf(
  ref: UserRef,
  team: ReadonlyMap<string, TeamPerson>,
): TeamPerson | undefined {
  if (ref.kind === "id") return team.get(ref.id);
  return [...team.values()].find((p) => p.username.toLowerCase() === ref.username);
}

/** `!lists [name]`. */
export function listsCommand(deps: ListsDeps): Command {
  return {
    name: "lists",
    usage: "[list name]",
    summary: "the lists of people (names and counts); with a name, the people of that list",
    examples: ["!lists", "!lists Night shift"],
    run: async (ctx, args) => {
      const lists = deps.channels.config.lists;
      const wanted = args.trim().replace(/^"(.*)"$/s, "$1");
      if (wanted === "") {
        await ctx.reply(
          lists.size === 0
            ? "There are no lists of people yet. An administrator can add one with " +
              "`!add_list` (see `!help`)."
            : `**${plural(lists.size, "list")} of people** (one direct message each):\n` +
              [...lists].map(([name, people]) =>
                `- **${quote(name, 100)}**: ${plural(people.length, "person", "people")}`
              ).join("\n") + "\n`!lists <name>` shows who is on one.",
        );
        return;
      }
      const name = [...lists.keys()].find((l) => nameKey(l) === nameKey(wanted));
      if (name === undefined) {
        await ctx.reply(
          `There is no list ${code(visible(wanted).slice(0, 100))}. \`!lists\` shows them all.`,
        );
        return;
      }
      const team = await deps.people.teamPeople();
      const lines = (lists.get(name) ?? []).map((entry) => {
        const ref = parseUserRef(entry);
        const person = ref.ok ? personOf(ref.value, team) : undefined;
        return person === undefined
          ? `- ${code(entry)} _(not an active person of this team: skipped)_`
          : `- @${person.username}` +
            (person.displayName !== person.username ? ` (${quote(person.displayName, 64)})` : "");
      });
      await ctx.reply(
        `**${quote(name, 100)}** (${plural(lines.length, "person", "people")}):\n` +
          lines.join("\n"),
      );
    },
  };
}

/** `!add_list "Name" = ["alice", "bob"]`. */
export function addListCommand(deps: ListEditing): Command {
  return {
    name: "add_list",
    sideEffects: true,
    adminOnly: true,
    usage: '"Name" = ["username", \u2026]',
    summary: "add one or more lists of people (one TOML line each) to channels.toml",
    examples: ['!add_list "Night shift" = ["alice", "bob"]'],
    run: async (ctx, args) => {
      const parsed = parseListInput(args);
      if (!parsed.ok) {
        await ctx.reply(defuseMentions(visible(parsed.error.message)));
        return;
      }
      const team = await deps.people.teamPeople();
      const unknown = parsed.value.flatMap((def) =>
        def.entries.filter((entry) => {
          const ref = parseUserRef(entry);
          const person = ref.ok ? personOf(ref.value, team) : undefined;
          return person === undefined || person.isBot;
        })
      );
      if (unknown.length > 0) {
        const shown = unknown.slice(0, 10).map((e) => code(e)).join(", ");
        await ctx.reply(defuseMentions(
          `Nothing was saved: ${plural(unknown.length, "entry", "entries")} ` +
            `${unknown.length === 1 ? "is" : "are"} not an active person of this team: ${shown}` +
            `${unknown.length > 10 ? ", \u2026" : ""}. Check the spelling (a username, or a ` +
            "user id of 26 letters and digits), then send the command again.",
        ));
        return;
      }
      const saved = await deps.channels.addLists(parsed.value);
      if (!saved.ok) {
        await ctx.reply(defuseMentions(visible(`Nothing was saved: ${saved.error.message}`)));
        return;
      }
      for (const def of parsed.value) {
        log.info("{user} added list {list} with {n} people", {
          user: ctx.username,
          list: def.name,
          n: def.entries.length,
        });
      }
      await ctx.reply(
        `Saved ${plural(parsed.value.length, "list")} to channels.toml:\n` +
          parsed.value.map((def) =>
            `- **${quote(def.name, 100)}**: ${plural(def.entries.length, "person", "people")}`
          ).join("\n") + sharingWarning(saved.warning),
      );
    },
  };
}
