/**
 * The wizard's target step: the answer naming groups, aliases, channels and people is resolved
 * (targets/), members are counted when a big send or a channel-wide mention needs it, and the
 * preview asks for confirmation.
 *
 * @module
 */

import type { MessageContext } from "@postbot/framework";
import { channelWideMentions } from "@postbot/framework/mentions";
import { audienceNotice, audienceOf } from "../broadcast/channel_mentions.ts";
import { channelsOf, peopleOf, postedMessage } from "../broadcast/model.ts";
import { resolveTargets } from "../targets/resolve.ts";
import { type Draft, isCancel } from "./conversation.ts";
import { needsCount, previewQuestion } from "./guard.ts";
import { previewText } from "./preview.ts";
import { senderIsMember, viewerOf, type WizardParts } from "./wizard_parts.ts";

/** The answer to "where should it go?". */
export async function answerTargets(
  { deps, sessions }: WizardParts,
  ctx: MessageContext,
  draft: Draft,
): Promise<void> {
  if (isCancel(ctx.text)) {
    sessions.delete(ctx.userId);
    await ctx.reply("Cancelled. Nothing was sent.");
    return;
  }
  const { config } = deps;
  const resolved = await resolveTargets(ctx.text, {
    config: deps.channels.config,
    cache: deps.cache,
    senderIsMember: senderIsMember(deps, ctx),
    viewer: viewerOf(deps, ctx),
    auditChannelId: config.botLogChannelId,
    people: deps.people,
    senderName: ctx.username,
  });
  if (!resolved.ok) {
    sessions.set(ctx.userId, { kind: "choosing_targets", draft });
    await ctx.reply(
      resolved.error.map((p) => `- ${p.message}`).join("\n") +
        "\nPlease answer again with groups, aliases, channels or people separated by commas " +
        "(or `cancel`).",
    );
    return;
  }
  const ignored = (ctx.message.post.file_ids ?? []).length > 0
    ? ["The files on your answer are not part of the broadcast; only the first message's are."]
    : [];
  const { targets, everyone } = resolved.value;
  const channelIds = channelsOf(targets).map((t) => t.channelId);
  const recipients = { channels: channelIds.length, people: peopleOf(targets).length };
  const guarded = needsCount(recipients, config.broadcastConfirmThreshold, everyone);
  const wide = channelWideMentions(
    postedMessage(draft.message, config.broadcastAttribution, ctx.username),
  );
  // Member counts, asked once: for a big send's question and for channel-wide mentions.
  const audience = channelIds.length > 0 && (guarded || wide.length > 0)
    ? await audienceOf(deps.transport, channelIds)
    : undefined;
  const members = guarded && audience !== undefined && audience.unknown < channelIds.length
    ? audience.members
    : undefined;
  sessions.set(ctx.userId, {
    kind: "confirming",
    draft,
    answer: ctx.text,
    targets,
    members,
    ...(everyone ? { everyone } : {}),
  });
  const notice = wide.length === 0 || audience === undefined
    ? undefined
    : audienceNotice(wide, channelIds.length, audience);
  await ctx.reply(
    previewText(
      draft,
      targets,
      [...resolved.value.warnings, ...ignored],
      previewQuestion(recipients, guarded, members, deps.later !== undefined),
      notice,
    ),
  );
}
