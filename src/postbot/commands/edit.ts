/**
 * `!edit <id>`: asks for the new text of a broadcast (own; administrators any), previews the
 * change, and after a yes changes it everywhere it went (or, if still scheduled, what will go
 * out). See {@link Editor}.
 *
 * @module
 */

import type { Command } from "@postbot/framework";
import type { Broadcaster } from "../broadcast/broadcaster.ts";
import type { Editor } from "../broadcast/editor.ts";
import { duration } from "../broadcast/report.ts";
import { code } from "../format.ts";
import type { ScheduledStore } from "../schedule/store.ts";
import type { Wizard } from "../wizard/wizard.ts";

const ID = /^[a-z0-9]{4,32}$/;

/** `!edit <id>`. */
export function editCommand(
  editor: Editor,
  broadcaster: Broadcaster,
  scheduled: ScheduledStore,
  wizard: Wizard,
  editWindowSeconds: number,
): Command {
  return {
    name: "edit",
    sideEffects: true,
    usage: "<broadcast id>",
    summary: `change the text of a broadcast in every channel it reached (files stay), within ` +
      `${duration(editWindowSeconds)}, or of a scheduled one before it goes out; previews ` +
      "the change and asks for confirmation",
    examples: ["!edit k3m9x2qa"],
    run: async (ctx, args) => {
      const id = args.trim().toLowerCase();
      if (id === "") {
        await ctx.reply("Which broadcast? Send `!edit <id>`; `!history` lists yours.");
        return;
      }
      const owner = ID.test(id)
        ? broadcaster.log.get(id)?.senderId ?? scheduled.get(id)?.senderId
        : undefined;
      if (owner === undefined || (owner !== ctx.userId && !ctx.isAdmin)) {
        await ctx.reply(
          `I have no broadcast ${code(args)} of yours. \`!history\` and \`!scheduled\` list them.`,
        );
        return;
      }
      const editable = editor.editable(id);
      if (!editable.ok) {
        await ctx.reply(editable.error);
        return;
      }
      wizard.askEdit(ctx.userId, id);
      await ctx.reply(
        `Send me the new text of ${editable.value}. I'll show you the change before anything ` +
          "changes; `cancel` stops.",
      );
    },
  };
}
