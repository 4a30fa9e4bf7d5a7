/**
 * The broadcast wizard: the handler for every DM that is not a command. It walks a user
 * through choosing targets and confirming, keeping one {@link Conversation} per user.
 *
 * @module
 */

import type { FileInfo } from "@mattermost/types/files";
import {
  describeProblem,
  err,
  isChannelMember,
  logger,
  MattermostError,
  type MessageContext,
  ok,
  type Problem,
  type RestTransport,
  type Result,
  type SessionBackend,
  SessionStore,
  unreachable,
} from "@postbot/framework";
import { duration } from "../broadcast/report.ts";
import { decideDraft, decideMentions } from "../broadcast/rules.ts";
import { draftRefusalText, undoAtYesText } from "../broadcast/rules_text.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import type { ChannelsStore } from "../channels/channels_file.ts";
import type { PostbotConfig } from "../config.ts";
import { code, plural } from "../format.ts";
import type { Notifier } from "../notifier.ts";
import type { ChannelPrivacy } from "../privacy.ts";
import {
  describeSendTime,
  parseSendTime,
  type SendTime,
} from "../broadcast/scheduled/time_expression.ts";
import type { SendLater } from "../broadcast/scheduled/send_later.ts";
import type { Editor } from "../broadcast/editor.ts";
import {
  type BroadcastStep,
  type Confirming,
  type ConfirmingEdit,
  type Conversation,
  type Draft,
  type EditingText,
  isCancel,
  resumeOf,
  type SideQuestions,
  type Unreadable,
  yesNo,
} from "./conversation.ts";
import { countProblem, needsCount, parsePreviewAnswer, previewQuestion } from "./guard.ts";
import { previewText, targetQuestion } from "./preview.ts";
import { strayAnswer, strayAnswerText } from "./stray.ts";
import {
  audienceNotice,
  audienceOf,
  channelMentionRefusal,
} from "../broadcast/channel_mentions.ts";
import { channelWideMentions } from "@postbot/framework/mentions";
import { type BroadcastFile, postedMessage } from "../broadcast/model.ts";
import type { ChannelLookup } from "../targets/resolution.ts";
import { hiddenWhitelist, resolveTargets } from "../targets/resolve.ts";

const log = logger("wizard");

/** The settings the wizard reads. */
export type WizardConfig = Pick<
  PostbotConfig,
  | "broadcastAttribution"
  | "broadcastChannelMentions"
  | "broadcastConfirmThreshold"
  | "botLogChannelId"
  | "sessionTtlSeconds"
>;

/** What the wizard reads and calls; nothing more. */
export interface WizardDeps {
  readonly config: WizardConfig;
  /** channels.toml as loaded now (groups, aliases, whitelist). */
  readonly channels: Pick<ChannelsStore, "config">;
  readonly cache: ChannelLookup;
  readonly privacy: Pick<ChannelPrivacy, "viewer">;
  /** File infos, member counts and memberships, read from the server. */
  readonly transport: RestTransport;
  /** The broadcast rules: sends, and the undo a `yes` confirms. */
  readonly broadcasts: Pick<BroadcastService, "send" | "undo" | "undoWindowSeconds">;
  readonly notifier: Pick<Notifier, "rememberDm" | "dm">;
  /** Send later (`at ...` at the preview); absent, only yes/no are offered. */
  readonly later?: SendLater;
  /** `!edit`; absent, edits are refused. */
  readonly editor?: Pick<Editor, "check" | "apply">;
  /** Command names and aliases (without `!`): typed bare with nothing open, they are hinted. */
  readonly commandNames?: () => ReadonlySet<string>;
}

/** The wizard. */
export class Wizard implements SideQuestions {
  readonly #s: WizardDeps;
  /** One conversation per user; expiry tells the user their broadcast was not sent. */
  readonly sessions: SessionStore<Conversation>;
  readonly #later: SendLater | undefined;
  readonly #editor: Pick<Editor, "check" | "apply"> | undefined;
  #accepting = true;

  constructor(
    deps: WizardDeps,
    sessions: { ttlMs: number; cleanupIntervalMs: number; backend?: SessionBackend<Conversation> },
  ) {
    this.#s = deps;
    this.#later = deps.later;
    this.#editor = deps.editor;
    this.sessions = new SessionStore<Conversation>({
      ...sessions,
      onExpire: (userId, state) => this.expire(userId, state),
    });
  }

  /** Stops opening new sessions (shutdown); answers to open ones still work. */
  close(): void {
    this.#accepting = false;
  }

  /** Handles one non-command DM. */
  async handle(ctx: MessageContext): Promise<void> {
    this.#s.notifier.rememberDm(ctx.userId, ctx.message.channelId);
    const state = this.sessions.get(ctx.userId);
    if (state === undefined) return await this.#start(ctx);
    switch (state.kind) {
      case "choosing_targets":
        return await this.#choose(ctx, state.draft);
      case "confirming":
        return await this.#confirm(ctx, state);
      case "confirming_undo":
        return await this.#confirmUndo(ctx, state.broadcastId, state.resume);
      case "confirming_cancel":
        return await this.#confirmCancel(ctx, state.broadcastId, state.resume);
      case "editing":
        return await this.#editText(ctx, state);
      case "confirming_edit":
        return await this.#confirmEdit(ctx, state);
      case "unreadable":
        return await this.#unreadable(ctx, state);
      default:
        return unreachable(state);
    }
  }

  /** A stored step this version cannot read: say so, start clean, and act on nothing. */
  async #unreadable(ctx: MessageContext, state: Unreadable): Promise<void> {
    log.warn("Session of {user} could not be resumed (stored step {step}); cleared", {
      user: ctx.userId,
      step: state.stored,
    });
    this.sessions.delete(ctx.userId);
    await ctx.reply(UNREADABLE_TEXT);
  }

  /**
   * Whether this answer would act on the user's behalf: a `yes` (or a send time) to a
   * broadcast preview, a `yes` to an undo, cancel or edit question. Such an answer arriving
   * late is held back; answers that only move the conversation along are not.
   */
  answerHasSideEffects(userId: string, text: string): boolean {
    const state = this.sessions.get(userId);
    if (state === undefined) return false;
    switch (state.kind) {
      case "choosing_targets":
      case "editing":
        return false;
      case "confirming": {
        const kind = parsePreviewAnswer(text).kind;
        return kind === "yes" || kind === "later";
      }
      case "confirming_undo":
      case "confirming_cancel":
      case "confirming_edit":
        return yesNo(text) === "yes";
      case "unreadable":
        return false;
      default:
        return unreachable(state);
    }
  }

  /** Called by the session store when a conversation lapsed. */
  async expire(userId: string, state: Conversation): Promise<void> {
    const ttl = duration(this.#s.config.sessionTtlSeconds);
    const text = expiryText(state, ttl);
    log.info("Session of {user} expired at step {step}", { user: userId, step: state.kind });
    await this.#s.notifier.dm(userId, text);
  }

  /**
   * `!undo` asks through the wizard so the next yes/no answers it; the broadcast step it
   * interrupts (if any) resumes afterwards.
   */
  askUndo(userId: string, broadcastId: string): void {
    const resume = resumeOf(this.sessions.get(userId));
    this.sessions.set(userId, { kind: "confirming_undo", broadcastId, resume });
  }

  /** `!cancel` asks through the wizard, like `!undo`. */
  askCancel(userId: string, broadcastId: string): void {
    const resume = resumeOf(this.sessions.get(userId));
    this.sessions.set(userId, { kind: "confirming_cancel", broadcastId, resume });
  }

  /** `!edit` asks for the new text through the wizard, like `!undo`. */
  askEdit(userId: string, broadcastId: string): void {
    const resume = resumeOf(this.sessions.get(userId));
    this.sessions.set(userId, { kind: "editing", broadcastId, resume });
  }

  async #start(ctx: MessageContext): Promise<void> {
    const post = ctx.message.post;
    const stray = (post.file_ids ?? []).length > 0
      ? undefined
      : strayAnswer(post.message, this.#s.commandNames?.() ?? new Set());
    if (stray !== undefined) {
      await ctx.reply(strayAnswerText(stray, this.#s.config.sessionTtlSeconds));
      return;
    }
    if (!this.#accepting) {
      await ctx.reply("I am shutting down for a moment; please send that again in a minute.");
      return;
    }
    const fileIds = post.file_ids ?? [];
    const decision = decideDraft({
      message: post.message,
      fileCount: fileIds.length,
      posted: postedMessage(post.message, this.#s.config.broadcastAttribution, ctx.username),
      admin: ctx.isAdmin,
      policy: this.#s.config.broadcastChannelMentions,
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
    const files = await this.#fileInfos(fileIds, post.metadata?.files);
    if (!files.ok) {
      await ctx.reply(`I can't relay that message: ${files.error.message} Nothing was sent.`);
      return;
    }
    const draft: Draft = { sourcePostId: post.id, message: post.message, files: files.value };
    this.sessions.set(ctx.userId, { kind: "choosing_targets", draft });
    const hidden = await hiddenWhitelist(
      this.#s.channels.config,
      this.#s.cache,
      this.#viewer(ctx),
    );
    await ctx.reply(targetQuestion(this.#s.channels.config, draft, hidden));
  }

  async #fileInfos(
    ids: readonly string[],
    known: readonly FileInfo[] | undefined,
  ): Promise<Result<BroadcastFile[], Problem>> {
    const files: BroadcastFile[] = [];
    for (const id of ids) {
      let info = known?.find((f) => f.id === id);
      if (info === undefined) {
        try {
          info = await this.#s.transport.getJson<FileInfo>(`/files/${id}/info`);
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

  async #choose(ctx: MessageContext, draft: Draft): Promise<void> {
    if (isCancel(ctx.text)) {
      this.sessions.delete(ctx.userId);
      await ctx.reply("Cancelled. Nothing was sent.");
      return;
    }
    const resolved = await resolveTargets(ctx.text, {
      config: this.#s.channels.config,
      cache: this.#s.cache,
      senderIsMember: (channelId) => this.#isMember(channelId, ctx.userId),
      viewer: this.#viewer(ctx),
      auditChannelId: this.#s.config.botLogChannelId,
    });
    if (!resolved.ok) {
      this.sessions.set(ctx.userId, { kind: "choosing_targets", draft });
      await ctx.reply(
        resolved.error.map((p) => `- ${p.message}`).join("\n") +
          "\nPlease answer again with groups, aliases or channels separated by commas " +
          "(or `cancel`).",
      );
      return;
    }
    const ignored = (ctx.message.post.file_ids ?? []).length > 0
      ? ["The files on your answer are not part of the broadcast; only the first message's are."]
      : [];
    const targets = resolved.value.targets;
    const guarded = needsCount(targets.length, this.#s.config.broadcastConfirmThreshold);
    const wide = channelWideMentions(
      postedMessage(draft.message, this.#s.config.broadcastAttribution, ctx.username),
    );
    // Member counts, asked once: for a big send's question and for channel-wide mentions.
    const audience = guarded || wide.length > 0
      ? await audienceOf(this.#s.transport, targets.map((t) => t.channelId))
      : undefined;
    const members = guarded && audience !== undefined && audience.unknown < targets.length
      ? audience.members
      : undefined;
    this.sessions.set(ctx.userId, {
      kind: "confirming",
      draft,
      answer: ctx.text,
      targets,
      members,
    });
    const notice = wide.length === 0 || audience === undefined
      ? undefined
      : audienceNotice(wide, targets.length, audience);
    await ctx.reply(
      previewText(
        draft,
        targets,
        [...resolved.value.warnings, ...ignored],
        previewQuestion(targets.length, guarded, members, this.#later !== undefined),
        notice,
      ),
    );
  }

  async #confirm(ctx: MessageContext, state: Confirming): Promise<void> {
    const answer = parsePreviewAnswer(ctx.text);
    const channels = state.targets.length;
    const guarded = needsCount(channels, this.#s.config.broadcastConfirmThreshold);
    if (answer.kind === "later" && this.#later !== undefined) {
      return await this.#sendLater(ctx, state, answer.expression, guarded);
    }
    if (answer.kind !== "yes" && answer.kind !== "no") {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(
        guarded
          ? countProblem(undefined, channels)!
          : `Please answer **yes** to send to ${plural(channels, "channel")}, or **no** to ` +
            "cancel.",
      );
      return;
    }
    if (answer.kind === "no") {
      this.sessions.delete(ctx.userId);
      await ctx.reply("Cancelled. Nothing was sent.");
      return;
    }
    // A number typed with a yes is checked even below the threshold: a wrong one is a slip.
    const problem = guarded || answer.count !== undefined
      ? countProblem(answer.count, channels)
      : undefined;
    if (problem !== undefined) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(problem);
      return;
    }
    if (state.later !== undefined && this.#later !== undefined) {
      return await this.#schedule(ctx, state, state.later);
    }
    this.sessions.delete(ctx.userId);
    const id = this.#s.broadcasts.send({
      sender: { id: ctx.userId, username: ctx.username },
      message: state.draft.message,
      files: state.draft.files,
      sourcePostId: state.draft.sourcePostId,
      answer: state.answer,
      targets: state.targets,
    }, (id) =>
      // Posted before delivery starts, so it always comes before the report.
      ctx.reply(
        `Sending broadcast ${code(id)} to ${plural(state.targets.length, "channel")}\u2026 ` +
          "I'll tell you when it's done.",
      ));
    log.info("{user} confirmed broadcast {id} to {n} channels", {
      user: ctx.username,
      id,
      n: state.targets.length,
    });
  }

  /** `at ...` / `in ...` at the preview: schedule (or, for a big send, ask for the count first). */
  async #sendLater(
    ctx: MessageContext,
    state: Confirming,
    expression: string,
    guarded: boolean,
  ): Promise<void> {
    const later = this.#later!;
    const zone = await later.zoneOf(ctx.userId);
    const time = parseSendTime(expression, zone, Date.now());
    if (!time.ok) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(
        `${describeProblem(time.error)}
Answer with another time (\`at \u2026\`, \`in \u2026\`), **yes** to send it now, ` +
          "or **no**.",
      );
      return;
    }
    if (guarded) {
      const channels = state.targets.length;
      this.sessions.set(ctx.userId, { ...state, later: time.value });
      await ctx.reply(
        `To schedule it for **${describeSendTime(time.value, Date.now())}** to ` +
          `**${plural(channels, "channel")}**, answer **yes ${channels}**; **no** cancels.`,
      );
      return;
    }
    await this.#schedule(ctx, state, time.value);
  }

  async #schedule(ctx: MessageContext, state: Confirming, time: SendTime): Promise<void> {
    if (time.at <= Date.now()) {
      this.sessions.set(ctx.userId, { ...state, later: undefined });
      await ctx.reply(
        `${describeSendTime(time, time.at).replace(/ \u2014 .*$/, "")} has passed meanwhile. ` +
          "Answer with another time, **yes** to send it now, or **no**.",
      );
      return;
    }
    const scheduled = await this.#later!.schedule({
      sender: { id: ctx.userId, username: ctx.username },
      message: state.draft.message,
      files: state.draft.files,
      sourcePostId: state.draft.sourcePostId,
      answer: state.answer,
      targets: state.targets,
      time,
    });
    if (!scheduled.ok) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(describeProblem(scheduled.error));
      return;
    }
    this.sessions.delete(ctx.userId);
    await ctx.reply(scheduled.value);
  }

  async #confirmUndo(
    ctx: MessageContext,
    broadcastId: string,
    resume: BroadcastStep | null,
  ): Promise<void> {
    await this.#sideQuestion(ctx, { kind: "confirming_undo", broadcastId, resume }, {
      ask: `Please answer **yes** to delete broadcast ${code(broadcastId)}, or **no**.`,
      kept: `Kept broadcast ${code(broadcastId)}; nothing was deleted.`,
      onYes: async () => {
        // The question may be answered long after it was asked: the rules are asked again.
        const undone = await this.#s.broadcasts.undo(
          { id: ctx.userId, username: ctx.username },
          broadcastId,
        );
        return undone.kind === "undone"
          ? undone.report
          : undoAtYesText(undone, this.#s.broadcasts.undoWindowSeconds);
      },
    });
  }

  /**
   * A yes/no question about one broadcast asked in the middle of anything: another answer asks
   * again, `no` keeps it, `yes` acts; either way the user is taken back to the interrupted step.
   */
  async #sideQuestion(
    ctx: MessageContext,
    pending: Extract<Conversation, { kind: "confirming_undo" | "confirming_cancel" }>,
    text: { ask: string; kept: string; onYes: () => Promise<string> },
  ): Promise<void> {
    const answer = yesNo(ctx.text);
    if (answer === undefined) {
      this.sessions.set(ctx.userId, pending);
      await ctx.reply(text.ask);
      return;
    }
    const back = this.#resume(ctx.userId, pending.resume);
    await ctx.reply((answer === "no" ? text.kept : await text.onYes()) + back);
  }

  /** Ends a side question: back to the interrupted broadcast step; the text saying so. */
  #resume(userId: string, resume: BroadcastStep | null): string {
    if (resume === null) {
      this.sessions.delete(userId);
      return "";
    }
    this.sessions.set(userId, resume);
    return "\n\nBack to your broadcast in progress: " +
      (resume.kind === "confirming" ? "send it? Answer **yes** or **no**." : "where should it go?");
  }

  async #confirmCancel(
    ctx: MessageContext,
    broadcastId: string,
    resume: BroadcastStep | null,
  ): Promise<void> {
    await this.#sideQuestion(ctx, { kind: "confirming_cancel", broadcastId, resume }, {
      ask: `Please answer **yes** to cancel scheduled broadcast ${code(broadcastId)}, or **no**.`,
      kept: `Kept scheduled broadcast ${code(broadcastId)}.`,
      onYes: async () =>
        this.#later === undefined
          ? "Scheduling is not available."
          : await this.#later.cancel(broadcastId, { id: ctx.userId, username: ctx.username }),
    });
  }

  async #editText(ctx: MessageContext, state: EditingText): Promise<void> {
    if (isCancel(ctx.text)) {
      const back = this.#resume(ctx.userId, state.resume);
      await ctx.reply(`Edit stopped; broadcast ${code(state.broadcastId)} is unchanged.${back}`);
      return;
    }
    // New text goes out as the bot too: the same rule for channel-wide mentions.
    const refused = decideMentions(
      ctx.text,
      ctx.isAdmin,
      this.#s.config.broadcastChannelMentions,
    );
    if (refused !== undefined) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(
        channelMentionRefusal(refused.mentions, refused.policy).replace(
          "and send the message again",
          "and send " +
            "the new text again (or `cancel`)",
        ),
      );
      return;
    }
    const checked = this.#editor?.check(state.broadcastId, ctx.text, ctx.username);
    if (checked === undefined || !checked.ok) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(
        (checked?.error.message ?? "Editing is not available.") +
          " Send the new text again, or `cancel`.",
      );
      return;
    }
    this.sessions.set(ctx.userId, { ...state, kind: "confirming_edit", text: ctx.text });
    await ctx.reply(checked.value);
  }

  async #confirmEdit(ctx: MessageContext, state: ConfirmingEdit): Promise<void> {
    const answer = isCancel(ctx.text) ? "no" : yesNo(ctx.text);
    if (answer === undefined) {
      this.sessions.set(ctx.userId, state);
      await ctx.reply(
        `Please answer **yes** to change broadcast ${code(state.broadcastId)}, or **no**.`,
      );
      return;
    }
    const back = this.#resume(ctx.userId, state.resume);
    if (answer === "no" || this.#editor === undefined) {
      await ctx.reply(`Broadcast ${code(state.broadcastId)} is unchanged.${back}`);
      return;
    }
    const report = await this.#editor.apply(state.broadcastId, state.text, {
      id: ctx.userId,
      username: ctx.username,
    });
    await ctx.reply(report + back);
  }

  #viewer(ctx: MessageContext) {
    return this.#s.privacy.viewer(ctx.userId, ctx.isAdmin);
  }

  #isMember(channelId: string, userId: string): Promise<boolean> {
    return isChannelMember(this.#s.transport, channelId, userId);
  }
}

/** What the user reads when a question lapsed: nothing was done. */
function expiryText(state: Conversation, ttl: string): string {
  switch (state.kind) {
    case "confirming_undo":
      return `No answer within ${ttl}, so broadcast \`${state.broadcastId}\` was **not** ` +
        "deleted.";
    case "confirming_cancel":
      return `No answer within ${ttl}, so scheduled broadcast \`${state.broadcastId}\` was ` +
        "**not** cancelled.";
    case "editing":
    case "confirming_edit":
      return `No answer within ${ttl}, so broadcast \`${state.broadcastId}\` was **not** ` +
        "changed.";
    case "choosing_targets":
    case "confirming":
      return `No answer within ${ttl}, so your broadcast was **not sent**. Send the ` +
        "message again to start over.";
    case "unreadable":
      return "What we were doing before my restart could not be resumed and has now lapsed: " +
        "nothing was sent, deleted or changed. Send the message again to start over.";
    default:
      return unreachable(state);
  }
}

/** The answer to the first message after a stored step turned out unreadable. */
export const UNREADABLE_TEXT = "I could not pick up where we left off: what we were doing " +
  "before my restart was saved in a form I no longer read, so I dropped it. Nothing was sent, " +
  "deleted or changed. Please start again: send the message you want to broadcast, or the " +
  "command.";
