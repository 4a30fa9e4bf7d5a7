/**
 * The wizard's first step: a DM with nothing open. A stray answer ("yes", "cancel", a bare
 * command name) is answered as such; anything else is a draft, checked (blank, too long, too
 * many files, channel-wide mentions) before the target question is asked.
 *
 * @module
 */

import type { FileInfo } from "@mattermost/types/files";
import {
  err,
  logger,
  MattermostError,
  type MessageContext,
  ok,
  type Problem,
  type Result,
} from "@postbot/framework";
import { type BroadcastFile, postedMessage } from "../broadcast/model.ts";
import { decideDraft } from "../broadcast/rules.ts";
import { draftRefusalText } from "../broadcast/rules_text.ts";
import { hiddenWhitelist } from "../targets/resolve.ts";
import type { Draft } from "./conversation.ts";
import { targetQuestion } from "./preview.ts";
import { strayAnswer, strayAnswerText } from "./stray.ts";
import { viewerOf, type WizardDeps, type WizardParts } from "./wizard_parts.ts";

const log = logger("wizard");

/** A DM with nothing open; `accepting` is false while shutting down (no new session). */
export async function startDraft(
  { deps, sessions }: WizardParts,
  ctx: MessageContext,
  accepting: boolean,
): Promise<void> {
  const post = ctx.message.post;
  const stray = (post.file_ids ?? []).length > 0
    ? undefined
    : strayAnswer(post.message, deps.commandNames?.() ?? new Set());
  if (stray !== undefined) {
    await ctx.reply(strayAnswerText(stray, deps.config.sessionTtlSeconds));
    return;
  }
  if (!accepting) {
    await ctx.reply("I am shutting down for a moment; please send that again in a minute.");
    return;
  }
  const fileIds = post.file_ids ?? [];
  const decision = decideDraft({
    message: post.message,
    fileCount: fileIds.length,
    posted: postedMessage(post.message, deps.config.broadcastAttribution, ctx.username),
    admin: ctx.isAdmin,
    policy: deps.config.broadcastChannelMentions,
  });
  if (decision.kind !== "ok") {
    if (decision.kind === "mentions_refused") {
      log.info("Refused a broadcast by {user} with {mentions}", {
        user: ctx.username,
        mentions: decision.mentions.join(" "),
      });
    }
    await ctx.reply(draftRefusalText(decision));
    return;
  }
  const files = await fileInfos(deps, fileIds, post.metadata?.files);
  if (!files.ok) {
    await ctx.reply(`I can't relay that message: ${files.error.message} Nothing was sent.`);
    return;
  }
  const draft: Draft = { sourcePostId: post.id, message: post.message, files: files.value };
  sessions.set(ctx.userId, { kind: "choosing_targets", draft });
  const hidden = await hiddenWhitelist(deps.channels.config, deps.cache, viewerOf(deps, ctx));
  await ctx.reply(targetQuestion(deps.channels.config, draft, hidden));
}

/** The draft's files as the broadcast keeps them; infos the post lacks are asked for. */
async function fileInfos(
  deps: WizardDeps,
  ids: readonly string[],
  known: readonly FileInfo[] | undefined,
): Promise<Result<BroadcastFile[], Problem>> {
  const files: BroadcastFile[] = [];
  for (const id of ids) {
    let info = known?.find((f) => f.id === id);
    if (info === undefined) {
      try {
        info = await deps.transport.getJson<FileInfo>(`/files/${id}/info`);
      } catch (e) {
        return err({
          message: `I could not read one of its files (${
            e instanceof MattermostError ? e.message : String(e)
          }).`,
        });
      }
    }
    files.push({
      id,
      name: info.name,
      size: info.size,
      mimeType: info.mime_type || "application/octet-stream",
    });
  }
  return ok(files);
}
