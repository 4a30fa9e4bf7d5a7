/**
 * The wizard's confirming step: the answer to the preview (read by preview_answer.ts). `yes`
 * sends (a big send needs the number of channels typed back, see guard.ts), `no` cancels,
 * `at <time>` / `in <duration>` schedules it (send later); the options given with either
 * (acknowledgement, priority, a reminder) go out with the broadcast.
 *
 * @module
 */

import { describeProblem, logger, type MessageContext } from "@postbot/framework";
import type { SendLater } from "../broadcast/scheduled/send_later.ts";
import {
  describeSendTime,
  parseSendTime,
  type SendTime,
} from "../broadcast/scheduled/time_expression.ts";
import { code } from "../format.ts";
import type { Confirming } from "./conversation.ts";
import { countProblem, needsCount, previewQuestion } from "./guard.ts";
import { parsePreviewAnswer, type PreviewAnswer, previewRefusalText } from "./preview_answer.ts";
import {
  type BroadcastOptions,
  hasOptions,
  NO_OPTIONS,
  optionsText,
  optionWords,
} from "../broadcast/options.ts";
import { whoText } from "./preview.ts";
import { peopleOf, recipientsText } from "../broadcast/model.ts";
import type { WizardParts } from "./wizard_parts.ts";
import { approvalNeeds } from "../targets/audiences.ts";

const log = logger("wizard");

/** The answer to the preview. */
export async function answerPreview(
  parts: WizardParts,
  ctx: MessageContext,
  state: Confirming,
): Promise<void> {
  const { deps, sessions } = parts;
  const answer = parsePreviewAnswer(ctx.text);
  const channels = recipientsOf(state);
  const guarded = needsCount(channels, deps.config.broadcastConfirmThreshold, state.everyone);
  if (answer.kind === "later" && deps.later !== undefined) {
    return await sendLater(parts, deps.later, ctx, state, answer, guarded);
  }
  if (answer.kind === "who") {
    sessions.set(ctx.userId, state);
    const question = previewQuestion(channels, guarded, state.members, deps.later !== undefined);
    await ctx.reply(whoText(state.targets, question));
    return;
  }
  if (answer.kind === "refused") {
    sessions.set(ctx.userId, state);
    await ctx.reply(previewRefusalText(answer.refusal));
    return;
  }
  if (answer.kind !== "yes" && answer.kind !== "no") {
    sessions.set(ctx.userId, state);
    await ctx.reply(
      guarded
        ? countProblem(undefined, channels)!
        : `Please answer **yes** to send to ${
          recipientsText(channels.channels, channels.people)
        }, or **no** to cancel.`,
    );
    return;
  }
  if (answer.kind === "no") {
    sessions.delete(ctx.userId);
    await ctx.reply("Cancelled. Nothing was sent.");
    return;
  }
  // Options given with the send time of a big send stand unless the yes names others.
  const options = hasOptions(answer.options) ? answer.options : state.options ?? NO_OPTIONS;
  await confirmed(parts, ctx, state, answer.count, options, guarded);
}

/** A yes: the count checked (a big send), then sent now or scheduled. */
async function confirmed(
  parts: WizardParts,
  ctx: MessageContext,
  state: Confirming,
  count: number | undefined,
  options: BroadcastOptions,
  guarded: boolean,
): Promise<void> {
  const { deps, sessions } = parts;
  // A number typed with a yes is checked even below the threshold: a wrong one is a slip.
  const problem = guarded || count !== undefined
    ? countProblem(count, recipientsOf(state), optionWords(options))
    : undefined;
  if (problem !== undefined) {
    sessions.set(ctx.userId, state);
    await ctx.reply(problem);
    return;
  }
  if (state.later !== undefined && deps.later !== undefined) {
    return await schedule(parts, deps.later, ctx, state, state.later, options);
  }
  if (await askedApproval(parts, ctx, state, options, undefined)) return;
  sessions.delete(ctx.userId);
  await send(parts, ctx, state, options);
}

/**
 * A broadcast to an audience with approvers is not sent or scheduled: it awaits approval
 * (see broadcast/approval/). True when that is what happened (or was refused, with the
 * wizard kept at the preview); false when no approval is needed.
 */
async function askedApproval(
  { deps, sessions }: WizardParts,
  ctx: MessageContext,
  state: Confirming,
  options: BroadcastOptions,
  time: SendTime | undefined,
): Promise<boolean> {
  const needs = approvalNeeds(state.answer, deps.channels.config);
  if (needs.length === 0) return false;
  const submitted = deps.approvals === undefined
    ? {
      ok: false as const,
      error: { message: "Approval is not available here; nothing was sent." },
    }
    : await deps.approvals.submit({
      sender: { id: ctx.userId, username: ctx.username },
      message: state.draft.message,
      files: state.draft.files,
      sourcePostId: state.draft.sourcePostId,
      answer: state.answer,
      targets: state.targets,
      time: time ?? { at: Date.now(), zone: "UTC" },
      options,
      needs,
      immediate: time === undefined,
    });
  if (!submitted.ok) {
    sessions.set(ctx.userId, { ...state, later: undefined });
    await ctx.reply(describeProblem(submitted.error));
    return true;
  }
  sessions.delete(ctx.userId);
  await ctx.reply(submitted.value);
  return true;
}

/** What the confirmed broadcast reaches, by kind. */
function recipientsOf(state: Confirming): { channels: number; people: number } {
  const people = peopleOf(state.targets).length;
  return { channels: state.targets.length - people, people };
}

/** Sends the confirmed broadcast now. */
async function send(
  { deps }: WizardParts,
  ctx: MessageContext,
  state: Confirming,
  options: BroadcastOptions,
): Promise<void> {
  const chosen = optionsText(options);
  const { channels, people } = recipientsOf(state);
  // Built now: the announcement runs after delivery starts, and a closure over `state` would
  // keep the draft's targets (10,000 people) alive for the whole delivery.
  const sending = (id: string) =>
    `Sending broadcast ${code(id)} to ${recipientsText(channels, people)}` +
    `${chosen === "" ? "" : ` (${chosen})`}\u2026 I'll tell you when it's done.`;
  const id = await deps.broadcasts.send({
    sender: { id: ctx.userId, username: ctx.username },
    message: state.draft.message,
    files: state.draft.files,
    sourcePostId: state.draft.sourcePostId,
    answer: state.answer,
    targets: state.targets,
    options,
  }, (id) =>
    // Posted before delivery starts, so it always comes before the report.
    ctx.reply(sending(id)));
  log.info("{user} confirmed broadcast {id} to {n} recipients", {
    user: ctx.username,
    id,
    n: channels + people,
  });
}

/** `at ...` / `in ...` at the preview: schedule (or, for a big send, ask for the count first). */
async function sendLater(
  parts: WizardParts,
  later: SendLater,
  ctx: MessageContext,
  state: Confirming,
  answer: Extract<PreviewAnswer, { kind: "later" }>,
  guarded: boolean,
): Promise<void> {
  const { sessions } = parts;
  const zone = await later.zoneOf(ctx.userId);
  const time = parseSendTime(answer.expression, zone, Date.now());
  if (!time.ok) {
    sessions.set(ctx.userId, state);
    await ctx.reply(
      `${describeProblem(time.error)}
Answer with another time (\`at \u2026\`, \`in \u2026\`), **yes** to send it now, ` +
        "or **no**.",
    );
    return;
  }
  if (guarded) {
    const { channels, people } = recipientsOf(state);
    sessions.set(ctx.userId, { ...state, later: time.value, options: answer.options });
    await ctx.reply(
      `To schedule it for **${describeSendTime(time.value, Date.now())}** to ` +
        `**${recipientsText(channels, people)}**, answer **yes ${channels + people}**; **no** ` +
        "cancels.",
    );
    return;
  }
  await schedule(parts, later, ctx, state, time.value, answer.options);
}

/** Schedules the confirmed broadcast for `time`, unless that time has passed meanwhile. */
async function schedule(
  parts: WizardParts,
  later: SendLater,
  ctx: MessageContext,
  state: Confirming,
  time: SendTime,
  options: BroadcastOptions,
): Promise<void> {
  if (time.at <= Date.now()) {
    parts.sessions.set(ctx.userId, { ...state, later: undefined });
    await ctx.reply(
      `${describeSendTime(time, time.at).replace(/ \u2014 .*$/, "")} has passed meanwhile. ` +
        "Answer with another time, **yes** to send it now, or **no**.",
    );
    return;
  }
  if (await askedApproval(parts, ctx, state, options, time)) return;
  const scheduled = await later.schedule({
    sender: { id: ctx.userId, username: ctx.username },
    message: state.draft.message,
    files: state.draft.files,
    sourcePostId: state.draft.sourcePostId,
    answer: state.answer,
    targets: state.targets,
    time,
    options,
  });
  if (!scheduled.ok) {
    parts.sessions.set(ctx.userId, state);
    await ctx.reply(describeProblem(scheduled.error));
    return;
  }
  parts.sessions.delete(ctx.userId);
  await ctx.reply(scheduled.value);
}
