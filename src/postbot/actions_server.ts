/**
 * The bot's endpoint for button clicks (`POST /actions/ack` on `HEALTH_PORT`, reached by the
 * Mattermost server through `ACTIONS_URL`). The request is Mattermost's
 * PostActionIntegrationRequest, unsigned: anyone who can reach the port may send one, so its
 * body is bounded and checked for shape before acknowledgements.ts checks its token, its post
 * and its clicker. A genuine click is answered with an ephemeral line for the clicker; anything
 * else gets a 4xx the server turns into an error for whoever clicked.
 *
 * @module
 */

import { logger, unreachable } from "@postbot/framework";
import type { Acknowledgements, Click, ClickOutcome } from "./broadcast/acknowledgements.ts";
import type { ApproveClick } from "./broadcast/approval/approvals.ts";
import type { ApprovalDesk } from "./broadcast/approval/approval_desk.ts";

const log = logger("actions");

/** Largest body read: a click is a few hundred bytes. */
export const MAX_BODY_BYTES = 16_384;

/** A Mattermost id. */
const ID = /^[a-z0-9]{26}$/;

/** A 4xx answer with a short reason (never echoing the request). */
function refuse(status: number, reason: string): Response {
  return Response.json({ error: reason }, { status });
}

/** The body's bytes, or undefined when it is longer than {@link MAX_BODY_BYTES}. */
async function boundedBody(request: Request): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return undefined;
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/** The body of a POST, within {@link MAX_BODY_BYTES}; otherwise the refusal to answer. */
async function postedBody(request: Request): Promise<Uint8Array | Response> {
  if (request.method !== "POST") return refuse(405, "method not allowed");
  const body = await boundedBody(request).catch(() => undefined);
  return body ?? refuse(413, "body too large");
}

/** A string short enough to be a button's context value. */
const short = (v: unknown): v is string => typeof v === "string" && v.length <= 100;

/**
 * Decodes a click body both buttons share: UTF-8 JSON of an object with the clicker's
 * `user_id` and an object `context`; `readContext` checks and takes the button's own fields
 * (its token among them). Undefined when any of it is not shaped as it should be.
 */
function decodeClick<T>(
  body: Uint8Array,
  readContext: (
    request: Record<string, unknown>,
    context: Record<string, unknown>,
    userId: string,
  ) => T | undefined,
): T | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const c = r.context;
  if (typeof c !== "object" || c === null || Array.isArray(c)) return undefined;
  if (typeof r.user_id !== "string" || !ID.test(r.user_id)) return undefined;
  return readContext(r, c as Record<string, unknown>, r.user_id);
}

/** The click a body describes, or undefined when it is not shaped like one. */
export function readClick(body: Uint8Array): Click | undefined {
  return decodeClick(body, (r, c, userId) => {
    if (typeof r.post_id !== "string" || !ID.test(r.post_id)) return undefined;
    if (!short(c.broadcast) || !short(c.recipient) || !short(c.token)) return undefined;
    return {
      userId,
      postId: r.post_id,
      context: { broadcast: c.broadcast, recipient: c.recipient, token: c.token },
    };
  });
}

/** What the clicker reads. */
function answer(outcome: Exclude<ClickOutcome, { kind: "forged" }>): string {
  switch (outcome.kind) {
    case "recorded":
      return "Thanks, noted: your acknowledgement is recorded.";
    case "already":
      return "Thanks, you had acknowledged this already.";
    case "not_recipient":
      return "This broadcast was not sent to you, so your acknowledgement is not counted.";
    default:
      return unreachable(outcome);
  }
}

/** The handler of `POST /actions/ack`. */
export function ackActionHandler(
  acks: Pick<Acknowledgements, "click">,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = await postedBody(request);
    if (body instanceof Response) return body;
    const click = readClick(body);
    if (click === undefined) {
      log.warn("Refused a button request that is not a click (from {from})", {
        from: request.headers.get("user-agent") ?? "",
      });
      return refuse(400, "not a click");
    }
    let outcome: ClickOutcome;
    try {
      outcome = await acks.click(click);
    } catch (e) {
      log.error("Could not record the click of {user} on {post}: {error}", {
        user: click.userId,
        post: click.postId,
        error: e,
      });
      return Response.json({ ephemeral_text: "Sorry, that did not work; please try again." }, {
        status: 500,
      });
    }
    if (outcome.kind === "forged") {
      log.warn("Refused a forged click on post {post} as {user}: {reason}", {
        post: click.postId,
        user: click.userId,
        reason: outcome.reason,
      });
      return refuse(403, "refused");
    }
    return Response.json({ ephemeral_text: answer(outcome) });
  };
}

/** The Approve click a body describes, or undefined when it is not shaped like one. */
export function readApproveClick(body: Uint8Array): ApproveClick | undefined {
  return decodeClick(body, (_, c, userId) => {
    if (!short(c.broadcast) || !short(c.token)) return undefined;
    if (typeof c.round !== "number" || !Number.isInteger(c.round) || c.round < 0) return undefined;
    return { userId, context: { broadcast: c.broadcast, round: c.round, token: c.token } };
  });
}

/** The handler of `POST /actions/approve`: an approver's click, checked and decided. */
export function approveActionHandler(
  approvals: Pick<ApprovalDesk, "click">,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = await postedBody(request);
    if (body instanceof Response) return body;
    const click = readApproveClick(body);
    if (click === undefined) return refuse(400, "not a click");
    try {
      const outcome = await approvals.click(click);
      if (outcome.forged) {
        log.warn("Refused a forged approval click as {user}", { user: click.userId });
        return refuse(403, "refused");
      }
      return Response.json({ ephemeral_text: outcome.text });
    } catch (e) {
      log.error("Could not decide the click of {user}: {error}", { user: click.userId, error: e });
      return Response.json({ ephemeral_text: "Sorry, that did not work; please try again." }, {
        status: 500,
      });
    }
  };
}
