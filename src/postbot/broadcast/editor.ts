/**
 * `!edit`: changes the text of a broadcast after it went out (`PUT /posts/{id}/patch` in every
 * channel it reached; the files stay), within `EDIT_WINDOW_SECONDS`, or of a scheduled one
 * before it goes out. The report says where the edit failed and why; the log keeps the old
 * and the new text; the audit channel gets a line.
 *
 * @module
 */

import {
  err,
  isStatus,
  logger,
  MattermostError,
  ok,
  type Problem,
  type RestTransport,
  type Result,
} from "@postbot/framework";
import { excerpt, MAX_POST_RUNES, runeLength } from "@postbot/framework/text";
import type { Attribution } from "../config.ts";
import { code, plural, quote } from "../format.ts";
import type { Notifier } from "../notifier.ts";
import type { ScheduledStore } from "./scheduled/scheduled_broadcasts.ts";
import { explain } from "./delivery.ts";
import {
  applyToEveryPost,
  type PostFailure,
  type PostsOutcome,
  unchangedLines,
} from "./every_post.ts";
import { refusalText, type SenderAuthority } from "../authority.ts";
import { auditRecipients, type BroadcastAudit } from "./audit.ts";
import type { EditTarget } from "./rules.ts";
import type { Approvals } from "./approval/approvals.ts";
import type { EditApprovals } from "./approval/edit_approvals.ts";
import { editRefusalText } from "./rules_text.ts";
import type { BroadcastService } from "./service.ts";
import {
  type Actor,
  type BroadcastTarget,
  channelsOf,
  type DeliveryRecord,
  peopleOf,
  postedMessage,
  recipientsText,
  targetKey,
  targetLabel,
} from "./model.ts";

const log = logger("edit");

/** What the editor needs: the rules (whether it may edit), the server, and who to tell. */
export interface EditorDeps {
  readonly transport: RestTransport;
  readonly broadcasts: Pick<BroadcastService, "editTarget" | "hiddenFor" | "recordEdit">;
  readonly scheduled: Pick<ScheduledStore, "updateMessage" | "get">;
  /** Approvals: an edit of a broadcast awaiting approval starts them over. */
  readonly approvals?: Pick<Approvals, "restart">;
  /**
   * Edits of sent broadcasts whose audience needs approval: asked of the approvers, applied
   * after the last approval (see approval/edit_approvals.ts).
   */
  readonly edits?: Pick<EditApprovals, "needsApproval" | "submit">;
  readonly notifier: Pick<Notifier, "dm">;
  /** Audit lines, under the audit rule. */
  readonly audit: Pick<BroadcastAudit, "post">;
  /** The recipients a scheduled broadcast's answer leads to now (undefined: not known). */
  readonly recipientsOf: (answer: string) => Promise<readonly BroadcastTarget[] | undefined>;
  /** Whether the sender may still reach the channels of a sent broadcast; absent: not asked. */
  readonly authority?: Pick<SenderAuthority, "check">;
  readonly attribution: Attribution;
  readonly now?: () => number;
}

/** Quotes a text for a before/after preview (mentions defused, formatting kept inert). */
function shown(text: string): string {
  return text.trim() === "" ? "_(no text)_" : `> ${quote(excerpt(text, 400), 400)}`;
}

/** Edits broadcasts. */
export class Editor {
  readonly #deps: EditorDeps;
  readonly #now: () => number;

  constructor(deps: EditorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Checks a new text and returns the preview of the change, or what is wrong. */
  async check(id: string, text: string, _editor: string): Promise<Result<string, Problem>> {
    const target = await this.#target(id);
    if (!target.ok) return target;
    const t = target.value;
    const old = t.kind === "sent" ? t.record.message : t.message;
    const sender = t.kind === "sent" ? t.record.senderUsername : t.sender;
    if (text.trim() === "") return err({ message: "The new text is empty." });
    if (text === old) return err({ message: "That is the text it already has." });
    const posted = postedMessage(text, this.#deps.attribution, sender);
    const length = runeLength(posted);
    if (length > MAX_POST_RUNES) {
      return err({
        message: `The new text is ${length.toLocaleString("en-US")} characters long; ` +
          `Mattermost allows ${MAX_POST_RUNES.toLocaleString("en-US")}.`,
      });
    }
    const asks = this.#needsApproval(t);
    const where = t.kind === "sent"
      ? `in ${
        recipientsText(channelsOf(t.posts).length, peopleOf(t.posts).length)
      } (files stay as they are)`
      : "before it goes out";
    return ok(
      [
        asks
          ? `**Ask approval to change broadcast ${code(id)} ${where}?**`
          : `**Change broadcast ${code(id)} ${where}?**`,
        "**Before:**",
        shown(old),
        "**After:**",
        shown(text),
        asks
          ? "Its audience needs approval: the posts change only once the approvers approve " +
            "the new text. Answer **yes** to ask them, or **no**."
          : "Answer **yes** to change it, or **no**.",
      ].join("\n"),
    );
  }

  /** Applies an edit (after the yes); the report for the user. */
  async apply(id: string, text: string, actor: Actor): Promise<string> {
    const target = await this.#target(id);
    if (!target.ok) return `Nothing was changed: ${target.error.message}`;
    const t = target.value;
    if (t.kind === "scheduled") return await this.#applyScheduled(t, text, actor);
    if (this.#needsApproval(t)) {
      const asked = await this.#deps.edits!.submit({
        record: t.record,
        posts: t.posts,
        text,
        editor: actor,
      });
      return asked.ok ? asked.value : `Nothing was changed: ${asked.error.message}`;
    }
    return await this.#applySent(t, text, actor);
  }

  /**
   * Applies an edit its approvers approved, the edit window measured at `askedAt` (when the
   * edit was asked); the report for the editor.
   */
  async applyApproved(id: string, text: string, actor: Actor, askedAt: number): Promise<string> {
    const target = await this.#target(id, askedAt);
    if (!target.ok) return `Nothing was changed: ${target.error.message}`;
    const t = target.value;
    if (t.kind !== "sent") return `Nothing was changed: broadcast ${code(id)} was not sent.`;
    return await this.#applySent(t, text, actor);
  }

  /** Whether an edit of `t` must be approved first: a sent one to an approval audience. */
  #needsApproval(t: EditTarget): t is Extract<EditTarget, { kind: "sent" }> {
    return t.kind === "sent" && this.#deps.edits?.needsApproval(t.record.targetAnswer) === true;
  }

  /** A scheduled broadcast gets the new text; nothing is posted yet. */
  async #applyScheduled(
    t: Extract<EditTarget, { kind: "scheduled" }>,
    text: string,
    actor: Actor,
  ): Promise<string> {
    const { id } = t;
    const stored = await this.#deps.scheduled.get(id);
    if (stored?.status === "awaiting_approval" && this.#deps.approvals !== undefined) {
      if (!await this.#deps.approvals.restart(stored, text)) {
        return `Broadcast ${code(id)} no longer awaits approval; nothing was changed.`;
      }
      await this.#auditScheduledEdit(t, text, actor, "of a broadcast awaiting approval");
      return `Broadcast ${code(id)} now has the new text; approvals start over, and I sent ` +
        "its approvers the new preview.";
    }
    if (!await this.#deps.scheduled.updateMessage(id, text)) {
      return `Broadcast ${code(id)} is no longer scheduled; nothing was changed.`;
    }
    await this.#auditScheduledEdit(t, text, actor, "of a scheduled broadcast, before it goes out");
    return `Scheduled broadcast ${code(id)} now has the new text; that is what will go out.`;
  }

  async #auditScheduledEdit(
    t: Extract<EditTarget, { kind: "scheduled" }>,
    text: string,
    actor: Actor,
    detail: string,
  ): Promise<void> {
    const { id } = t;
    log.info("{user} edited scheduled broadcast {id}: {old} -> {new}", {
      user: actor.username,
      id,
      old: t.message,
      new: text,
    });
    await this.#deps.audit.post({
      action: "Edit",
      id,
      actor: actor.username,
      sender: t.sender,
      at: this.#now(),
      detail,
      ...await this.#deps.recipientsOf(t.answer).then(
        (r) => r === undefined ? { channels: undefined } : auditRecipients(r),
        () => ({ channels: undefined }),
      ),
      edit: { before: t.message, after: text },
    });
  }

  /**
   * Patches the posts of a sent broadcast, in the channels still within its sender's reach
   * (a sender who may send nothing any more changes nothing).
   */
  async #applySent(
    t: Extract<EditTarget, { kind: "sent" }>,
    text: string,
    actor: Actor,
  ): Promise<string> {
    const { record } = t;
    const id = record.id;
    const allowed = await this.#authorize(t, actor);
    if (!allowed.ok) return allowed.answer;
    const { posts, dropped } = allowed;
    const message = postedMessage(text, this.#deps.attribution, record.senderUsername);
    const patched = await this.#patchAll(posts, message);
    const failed = [...dropped, ...patched.failed];
    const changed = patched.changed;
    const total = t.posts.length;
    // Private channels the editor is not in are counted, never named.
    const hidden = await this.#deps.broadcasts.hiddenFor(actor, failed.map((f) => f.delivery));
    const failures = unchangedLines(failed, hidden);
    await this.#deps.broadcasts.recordEdit(record, text, actor);
    log.info("{user} edited broadcast {id} in {n} of {total} recipients: {old} -> {new}", {
      user: actor.username,
      id,
      n: changed,
      total,
      old: record.message,
      new: text,
    });
    const why = new Map(failed.map((f) => [targetKey(f.delivery), f.why]));
    const inChannels = channelsOf(t.posts);
    // "3 of 3 channels", or "3 of 5 recipients (2 channels and 3 people)".
    const recipients = inChannels.length === total
      ? plural(total, "channel")
      : `${plural(total, "recipient")} (${
        recipientsText(inChannels.length, total - inChannels.length)
      })`;
    await this.#deps.audit.post({
      action: "Edit",
      id,
      actor: actor.username,
      sender: record.senderUsername,
      at: this.#now(),
      detail: `${changed} of ${plural(total, "post")} changed` +
        (failed.length > 0 ? `, ${failed.length} not` : ""),
      channels: inChannels.map((d) => ({
        channelId: d.channelId,
        name: d.name,
        ...(why.has(targetKey(d)) ? { failure: why.get(targetKey(d)) } : {}),
      })),
      people: {
        count: t.posts.length - inChannels.length,
        failed: peopleOf(failed.map((f) => f.delivery)).length,
      },
      edit: { before: record.message, after: text },
    });
    if (actor.id !== record.senderId) {
      await this.#deps.notifier.dm(
        record.senderId,
        `@${actor.username} edited your broadcast ${code(id)} (${changed} of ${recipients}).`,
      );
    }
    return `**Edited broadcast ${code(id)} in ${changed} of ${recipients}.**` +
      (failures.length > 0 ? `\nNot changed:\n${failures.join("\n")}` : "");
  }

  /**
   * Asks whether the sender may still reach each channel: the posts to patch and those left
   * as they are (with why), or the answer when nothing may be changed.
   */
  async #authorize(
    t: Extract<EditTarget, { kind: "sent" }>,
    actor: Actor,
  ): Promise<
    | { ok: true; posts: readonly DeliveryRecord[]; dropped: PostFailure[] }
    | { ok: false; answer: string }
  > {
    const authority = this.#deps.authority;
    if (authority === undefined) return { ok: true, posts: t.posts, dropped: [] };
    const { record } = t;
    const sender = { id: record.senderId, username: record.senderUsername };
    let reason: string;
    let audited: string;
    try {
      const verdict = await authority.check(sender, t.posts);
      if (verdict.kind === "allowed") {
        const dropped = verdict.dropped.map(({ target, reason }) => ({
          delivery: target,
          why: reason,
        }));
        return { ok: true, posts: verdict.keep, dropped };
      }
      reason = audited = refusalText(verdict.refusal, sender.username);
    } catch (e) {
      audited = `I could not check that @${sender.username} may still send it`;
      // The server's words stay out of the audit channel: they might name a channel.
      reason = `${audited} (${e instanceof MattermostError ? e.message : String(e)})`;
    }
    log.warn("Edit of {id} by {user} refused: {reason}", {
      id: record.id,
      user: actor.username,
      reason,
    });
    await this.#deps.audit.post({
      action: "Refused edit",
      id: record.id,
      actor: actor.username,
      sender: record.senderUsername,
      at: this.#now(),
      detail: `nothing changed, because ${audited}`,
      ...auditRecipients(t.posts),
    });
    return { ok: false, answer: `Nothing was changed: ${reason}.` };
  }

  /** Patches the posts (see every_post.ts); how many changed, and the ones that did not. */
  #patchAll(posts: readonly DeliveryRecord[], message: string): Promise<PostsOutcome> {
    return applyToEveryPost(this.#deps.transport, posts, {
      request: (d) => ({
        path: `/posts/${d.postId}/patch`,
        init: {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ message }),
        },
      }),
      why: (e, d) => this.#why(e, d),
    });
  }

  /** Why a patch failed, for people. A post deleted by a moderator answers 403, like a ban. */
  async #why(e: unknown, d: DeliveryRecord): Promise<string> {
    if (isStatus(e, 403)) {
      try {
        await this.#deps.transport.getJson(`/posts/${d.postId}`);
      } catch (gone) {
        if (isStatus(gone, 404)) {
          return "the post is no longer there (deleted, perhaps by a moderator)";
        }
      }
      return `I may no longer edit posts in ${targetLabel(d)} (HTTP 403)`;
    }
    if (
      d.kind === "channel" && e instanceof MattermostError && /deleted/i.test(e.serverErrorId ?? "")
    ) {
      return `~${d.name} was archived`;
    }
    return explain(e, d, e instanceof MattermostError ? e.attempts : 1);
  }

  async #target(id: string, at?: number): Promise<Result<EditTarget, Problem>> {
    const decision = await this.#deps.broadcasts.editTarget(id, at);
    switch (decision.kind) {
      case "scheduled":
      case "sent":
        return ok(decision);
      default:
        return err({ message: editRefusalText(decision) });
    }
  }
}
