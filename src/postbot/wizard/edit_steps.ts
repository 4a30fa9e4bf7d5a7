/**
 * `!edit` through the wizard: the new text (checked for channel-wide mentions like a new
 * broadcast, then previewed by the editor), and the yes/no to apply it; afterwards the user is
 * taken back to the broadcast step the edit interrupted.
 *
 * @module
 */

import type { MessageContext } from "@postbot/framework";
import { decideMentions } from "../broadcast/rules.ts";
import { channelMentionRefusal } from "../broadcast/channel_mentions.ts";
import { code } from "../format.ts";
import { type ConfirmingEdit, type EditingText, isCancel, yesNo } from "./conversation.ts";
import { resumeStep } from "./side_questions.ts";
import type { WizardParts } from "./wizard_parts.ts";

/** The new text of the broadcast being edited. */
export async function answerEditText(
  parts: WizardParts,
  ctx: MessageContext,
  state: EditingText,
): Promise<void> {
  const { deps, sessions } = parts;
  if (isCancel(ctx.text)) {
    const back = resumeStep(parts, ctx.userId, state.resume);
    await ctx.reply(`Edit stopped; broadcast ${code(state.broadcastId)} is unchanged.${back}`);
    return;
  }
  // New text goes out as the bot too: the same rule for channel-wide mentions.
  const refused = decideMentions(ctx.text, ctx.isAdmin, deps.config.broadcastChannelMentions);
  if (refused !== undefined) {
    sessions.set(ctx.userId, state);
    await ctx.reply(
      channelMentionRefusal(refused.mentions, refused.policy).replace(
        "and send the message again",
        "and send " +
          "the new text again (or `cancel`)",
      ),
    );
    return;
  }
  const checked = await deps.editor?.check(state.broadcastId, ctx.text, ctx.username);
  if (checked === undefined || !checked.ok) {
    sessions.set(ctx.userId, state);
    await ctx.reply(
      (checked?.error.message ?? "Editing is not available.") +
        " Send the new text again, or `cancel`.",
    );
    return;
  }
  sessions.set(ctx.userId, { ...state, kind: "confirming_edit", text: ctx.text });
  await ctx.reply(checked.value);
}

/** The yes/no to the edit's preview. */
export async function answerEditPreview(
  parts: WizardParts,
  ctx: MessageContext,
  state: ConfirmingEdit,
): Promise<void> {
  const answer = isCancel(ctx.text) ? "no" : yesNo(ctx.text);
  if (answer === undefined) {
    parts.sessions.set(ctx.userId, state);
    await ctx.reply(
      `Please answer **yes** to change broadcast ${code(state.broadcastId)}, or **no**.`,
    );
    return;
  }
  const back = resumeStep(parts, ctx.userId, state.resume);
  const editor = parts.deps.editor;
  if (answer === "no" || editor === undefined) {
    await ctx.reply(`Broadcast ${code(state.broadcastId)} is unchanged.${back}`);
    return;
  }
  const report = await editor.apply(state.broadcastId, state.text, {
    id: ctx.userId,
    username: ctx.username,
  });
  await ctx.reply(report + back);
}
