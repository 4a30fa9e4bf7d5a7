/**
 * The wizard's confirming step: the answer to the preview. `yes` sends (a big send needs the
 * number of channels typed back, see guard.ts), `no` cancels, `at <time>` / `in <duration>`
 * schedules it (send later).
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
import { countProblem, needsCount, parsePreviewAnswer, previewQuestion } from "./guard.ts";
import { whoText } from "./preview.ts";
import { peopleOf, recipientsText } from "../broadcast/model.ts";
import type { WizardParts } from "./wizard_parts.ts";

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
    return await sendLater(parts, deps.later, ctx, state, answer.expression, guarded);
  }
  if (answer.kind === "who") {
    sessions.set(ctx.userId, state);
    const question = previewQuestion(channels, guarded, state.members, deps.later !== undefined);
    await ctx.reply(whoText(state.targets, question));
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
  // A number typed with a yes is checked even below the threshold: a wrong one is a slip.
  const problem = guarded || answer.count !== undefined
    ? countProblem(answer.count, channels)
    : undefined;
  if (problem !== undefined) {
    sessions.set(ctx.userId, state);
    await ctx.reply(problem);
    return;
  }
  if (state.later !== undefined && deps.later !== undefined) {
    return await schedule(parts, deps.later, ctx, state, state.later);
  }
  sessions.delete(ctx.userId);
  send(parts, ctx, state);
}

/** What the confirmed broadcast reaches, by kind. */
function recipientsOf(state: Confirming): { channels: number; people: number } {
  const people = peopleOf(state.targets).length;
  return { channels: state.targets.length - people, people };
}

/** Sends the confirmed broadcast now. */
function send({ deps }: WizardParts, ctx: MessageContext, state: Confirming): void {
  const id = deps.broadcasts.send({
    sender: { id: ctx.userId, username: ctx.username },
    message: state.draft.message,
    files: state.draft.files,
    sourcePostId: state.draft.sourcePostId,
    answer: state.answer,
    targets: state.targets,
  }, (id) =>
    // Posted before delivery starts, so it always comes before the report.
    ctx.reply(
      `Sending broadcast ${code(id)} to ${
        recipientsText(recipientsOf(state).channels, recipientsOf(state).people)
      }\u2026 ` +
        "I'll tell you when it's done.",
    ));
  log.info("{user} confirmed broadcast {id} to {n} recipients", {
    user: ctx.username,
    id,
    n: state.targets.length,
  });
}

/** `at ...` / `in ...` at the preview: schedule (or, for a big send, ask for the count first). */
async function sendLater(
  parts: WizardParts,
  later: SendLater,
  ctx: MessageContext,
  state: Confirming,
  expression: string,
  guarded: boolean,
): Promise<void> {
  const { sessions } = parts;
  const zone = await later.zoneOf(ctx.userId);
  const time = parseSendTime(expression, zone, Date.now());
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
    sessions.set(ctx.userId, { ...state, later: time.value });
    await ctx.reply(
      `To schedule it for **${describeSendTime(time.value, Date.now())}** to ` +
        `**${recipientsText(channels, people)}**, answer **yes ${channels + people}**; **no** ` +
        "cancels.",
    );
    return;
  }
  await schedule(parts, later, ctx, state, time.value);
}

/** Schedules the confirmed broadcast for `time`, unless that time has passed meanwhile. */
async function schedule(
  { sessions }: WizardParts,
  later: SendLater,
  ctx: MessageContext,
  state: Confirming,
  time: SendTime,
): Promise<void> {
  if (time.at <= Date.now()) {
    sessions.set(ctx.userId, { ...state, later: undefined });
    await ctx.reply(
      `${describeSendTime(time, time.at).replace(/ \u2014 .*$/, "")} has passed meanwhile. ` +
        "Answer with another time, **yes** to send it now, or **no**.",
    );
    return;
  }
  const scheduled = await later.schedule({
    sender: { id: ctx.userId, username: ctx.username },
    message: state.draft.message,
    files: state.draft.files,
    sourcePostId: state.draft.sourcePostId,
    answer: state.answer,
    targets: state.targets,
    time,
  });
  if (!scheduled.ok) {
    sessions.set(ctx.userId, state);
    await ctx.reply(describeProblem(scheduled.error));
    return;
  }
  sessions.delete(ctx.userId);
  await ctx.reply(scheduled.value);
}
