/**
 * `!edit <id>`: asks for the new text of a broadcast (own; administrators any), previews the
 * change, and after a yes changes it everywhere it went (or, if still scheduled, what will go
 * out). The edit itself is the Editor's (broadcast/editor.ts).
 *
 * @module
 */

import type { Command } from "@postbot/framework";
import { describeDuration, SETTING } from "@postbot/framework/duration";
import { askerOf } from "../broadcast/rules.ts";
import { editRefusalText } from "../broadcast/rules_text.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import { code, plural } from "../format.ts";
import type { SideQuestions } from "../wizard/conversation.ts";

/** What `!edit` needs: the rules, and the wizard to ask for the new text. */
export interface EditDeps {
  readonly broadcasts: Pick<BroadcastService, "editable">;
  readonly questions: Pick<SideQuestions, "askEdit">;
  /** EDIT_WINDOW_SECONDS, for the help text. */
  readonly editWindowSeconds: number;
}

/** `!edit <id>`. */
export function editCommand(deps: EditDeps): Command {
  return {
    name: "edit",
    sideEffects: true,
    usage: "<broadcast id>",
    summary: `change the text of a broadcast in every channel it reached (files stay), within ` +
      `${
        describeDuration(deps.editWindowSeconds * 1000, SETTING)
      }, or of a scheduled one before it goes out; previews ` +
      "the change and asks for confirmation",
    examples: ["!edit k3m9x2qa"],
    run: async (ctx, args) => {
      if (args.trim() === "") {
        await ctx.reply("Which broadcast? Send `!edit <id>`; `!history` lists yours.");
        return;
      }
      const decision = await deps.broadcasts.editable(askerOf(ctx), args);
      switch (decision.kind) {
        case "unknown":
          await ctx.reply(
            `I have no broadcast ${code(args)} of yours. \`!history\` and \`!scheduled\` list ` +
              "them.",
          );
          return;
        case "scheduled":
        case "sent": {
          const id = decision.kind === "scheduled" ? decision.id : decision.record.id;
          deps.questions.askEdit(ctx.userId, id);
          const what = decision.kind === "scheduled"
            ? `scheduled broadcast ${code(id)} (not sent yet: the new text is what will go out)`
            : `broadcast ${code(id)} in ${plural(decision.posts.length, "channel")}`;
          await ctx.reply(
            `Send me the new text of ${what}. I'll show you the change before anything ` +
              "changes; `cancel` stops.",
          );
          return;
        }
        default:
          await ctx.reply(editRefusalText(decision));
      }
    },
  };
}
