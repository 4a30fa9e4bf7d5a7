/**
 * The broadcast wizard: the handler for every DM that is not a command. It walks a user
 * through choosing targets and confirming, keeping one {@link Conversation} per user, and
 * hands each message to the step the conversation is at: draft_step.ts (nothing open),
 * targets_step.ts, confirm_step.ts, side_questions.ts (the yes/no of `!undo`, `!cancel`,
 * `!remind`) and
 * edit_steps.ts (`!edit`).
 *
 * @module
 */

import {
  logger,
  type MessageContext,
  type SessionBackend,
  SessionStore,
  unreachable,
} from "@postbot/framework";
import { describeDuration, SETTING } from "@postbot/framework/duration";
import { answerPreview } from "./confirm_step.ts";
import { type Conversation, type SideQuestions, type Unreadable, yesNo } from "./conversation.ts";
import { startDraft } from "./draft_step.ts";
import { answerEditPreview, answerEditText } from "./edit_steps.ts";
import { parsePreviewAnswer } from "./preview_answer.ts";
import { answerCancel, answerRemind, answerUndo, askAside } from "./side_questions.ts";
import { answerTargets } from "./targets_step.ts";
import type { WizardDeps, WizardParts } from "./wizard_parts.ts";

const log = logger("wizard");

/** The wizard. */
export class Wizard implements SideQuestions {
  /** One conversation per user; expiry tells the user their broadcast was not sent. */
  readonly sessions: SessionStore<Conversation>;
  readonly #parts: WizardParts;
  #accepting = true;

  constructor(
    deps: WizardDeps,
    sessions: { ttlMs: number; cleanupIntervalMs: number; backend?: SessionBackend<Conversation> },
  ) {
    this.sessions = new SessionStore<Conversation>({
      ...sessions,
      onExpire: (userId, state) => this.expire(userId, state),
    });
    this.#parts = { deps, sessions: this.sessions };
  }

  /** Stops opening new sessions (shutdown); answers to open ones still work. */
  close(): void {
    this.#accepting = false;
  }

  /** Handles one non-command DM. */
  async handle(ctx: MessageContext): Promise<void> {
    const parts = this.#parts;
    parts.deps.notifier.rememberDm(ctx.userId, ctx.message.channelId);
    const state = this.sessions.get(ctx.userId);
    if (state === undefined) return await startDraft(parts, ctx, this.#accepting);
    switch (state.kind) {
      case "choosing_targets":
        return await answerTargets(parts, ctx, state.draft);
      case "confirming":
        return await answerPreview(parts, ctx, state);
      case "confirming_undo":
        return await answerUndo(parts, ctx, state);
      case "confirming_cancel":
        return await answerCancel(parts, ctx, state);
      case "confirming_remind":
        return await answerRemind(parts, ctx, state);
      case "editing":
        return await answerEditText(parts, ctx, state);
      case "confirming_edit":
        return await answerEditPreview(parts, ctx, state);
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
      case "confirming_remind":
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
    const ttl = describeDuration(this.#parts.deps.config.sessionTtlSeconds * 1000, SETTING);
    const text = expiryText(state, ttl);
    log.info("Session of {user} expired at step {step}", { user: userId, step: state.kind });
    await this.#parts.deps.notifier.dm(userId, text);
  }

  /**
   * `!undo` asks through the wizard so the next yes/no answers it; the broadcast step it
   * interrupts (if any) resumes afterwards.
   */
  askUndo(userId: string, broadcastId: string): void {
    askAside(this.#parts, userId, "confirming_undo", broadcastId);
  }

  /** `!cancel` asks through the wizard, like `!undo`. */
  askCancel(userId: string, broadcastId: string): void {
    askAside(this.#parts, userId, "confirming_cancel", broadcastId);
  }

  /** `!remind` asks through the wizard, like `!undo`. */
  askRemind(userId: string, broadcastId: string): void {
    askAside(this.#parts, userId, "confirming_remind", broadcastId);
  }

  /** `!edit` asks for the new text through the wizard, like `!undo`. */
  askEdit(userId: string, broadcastId: string): void {
    askAside(this.#parts, userId, "editing", broadcastId);
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
    case "confirming_remind":
      return `No answer within ${ttl}, so **no** reminder of broadcast ` +
        `\`${state.broadcastId}\` was sent.`;
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
