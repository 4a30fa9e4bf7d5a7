/**
 * Interactive message buttons: POST /posts/{post_id}/actions/{action_id} as
 * App.DoPostActionWithCookie runs it for a post in the database. The server POSTs
 * model.PostActionIntegrationRequest to the action's integration URL (unsigned; the
 * `trigger_id` it sends is the signed one, the clicker gets the bare id back), and applies the
 * JSON answer (model.PostActionIntegrationResponse): `update` replaces the post's message
 * (an update without one empties it) and, when it has props, its props (keeping only
 * from_webhook, override_username and override_icon_url of the old ones -- from_bot is lost);
 * `ephemeral_text` goes to the clicker alone as an `ephemeral_message` (`<url|text>` turned
 * into Markdown unless `skip_slack_parsing`). `goto_location` is not read by this version.
 */

import { findAction } from "./attachments.ts";
import type { EmulatorConfig } from "./config.ts";
import { AppError, permissionError } from "./http.ts";
import { newId } from "./ids.ts";
import { postToIntegration } from "./integration_client.ts";
import { isSystemAdmin } from "./permissions.ts";
import type { PostChanges } from "./post_changes.ts";
import type { PostRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Props an action's answer never changes (model.PostActionRetainPropKeys). */
const RETAINED_PROPS = ["from_webhook", "override_username", "override_icon_url"];

/** What the clicker gets back (model.PostActionAPIResponse). */
export interface ActionClickResult {
  status: "OK";
  trigger_id: string;
}

/** The integration's answer, decoded as model.PostActionIntegrationResponse. */
interface IntegrationResponse {
  update?: { message: string; props: Record<string, unknown> | undefined; fileIds: string[] };
  ephemeralText: string;
  skipSlackParsing: boolean;
}

function actionError(): AppError {
  return new AppError("api.post.do_action.action_integration.app_error", 400);
}

/**
 * json.Unmarshal of the answer into PostActionIntegrationResponse: an empty body is no
 * answer; anything that is not JSON of the right types is a 400.
 */
function decodeResponse(body: string): IntegrationResponse {
  const none: IntegrationResponse = { ephemeralText: "", skipSlackParsing: false };
  if (body.length === 0) return none;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw actionError();
  }
  if (raw === null) return none;
  if (typeof raw !== "object" || Array.isArray(raw)) throw actionError();
  const r = raw as Record<string, unknown>;
  const ofType = <T>(v: unknown, type: string, empty: T): T => {
    if (v === undefined || v === null) return empty;
    if (typeof v !== type || (type === "object" && Array.isArray(v))) throw actionError();
    return v as T;
  };
  const out: IntegrationResponse = {
    ephemeralText: ofType(r.ephemeral_text, "string", ""),
    skipSlackParsing: ofType(r.skip_slack_parsing, "boolean", false),
  };
  const update = ofType<Record<string, unknown> | null>(r.update, "object", null);
  if (update !== null) {
    const fileIds = update.file_ids ?? [];
    if (!Array.isArray(fileIds) || fileIds.some((id) => typeof id !== "string")) {
      throw actionError();
    }
    out.update = {
      message: ofType(update.message, "string", ""),
      props: ofType<Record<string, unknown> | undefined>(update.props, "object", undefined),
      fileIds: fileIds as string[],
    };
  }
  return out;
}

/** Standard base64 of bytes. */
function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** model.ParseSlackLinksToMarkdown: `<url|text>` becomes `[text](url)`. */
export function slackLinksToMarkdown(text: string): string {
  return text.replace(/<([^<|]+)\|([^>]+)>/g, "[$2]($1)");
}

/** Button clicks on posts. */
export class PostActions {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #config: EmulatorConfig;
  readonly #changes: PostChanges;

  /** Clicks over the shared tables: updates through `changes`, ephemerals through `events`. */
  constructor(tables: Tables, events: StoreEvents, config: EmulatorConfig, changes: PostChanges) {
    this.#tables = tables;
    this.#events = events;
    this.#config = config;
    this.#changes = changes;
  }

  /**
   * doPostAction's permission (read_channel_content by post: a member of the post's channel,
   * deleted posts included, or a system admin; 403 otherwise, for a missing post too), then
   * DoPostActionWithCookie for a stored post: the post must be live (404 `app.post.get.app_error`) and carry an action of that id with an
   * integration (404 `api.post.do_action.action_id.app_error`); an unreachable or refused
   * integration, a status other than 200, or an answer that does not decode is a 400
   * `api.post.do_action.action_integration.app_error`.
   */
  async click(
    userId: string,
    postId: string,
    actionId: string,
    selectedOption = "",
  ): Promise<ActionClickResult> {
    const post = this.#tables.posts.get(postId);
    const admin = isSystemAdmin(this.#tables, userId);
    if (!admin && (!post || !this.#tables.isChannelMember(post.channel_id, userId))) {
      throw permissionError();
    }
    if (!post || post.delete_at !== 0) throw new AppError("app.post.get.app_error", 404);
    const action = findAction(post.props, actionId);
    if (action?.integration === undefined) {
      throw new AppError("api.post.do_action.action_id.app_error", 404);
    }
    const clientTriggerId = newId();
    const request = this.#upstreamRequest(post, userId, clientTriggerId, action, selectedOption);
    const answer = await postToIntegration(action.integration.url ?? "", request, {
      allowed: this.#config.allowedUntrustedInternalConnections,
      timeoutMs: this.#config.outgoingIntegrationRequestsTimeoutMs,
    });
    if (!answer.ok || answer.status !== 200) throw actionError();
    const response = decodeResponse(answer.body);
    const retained: Record<string, unknown> = {};
    for (const key of RETAINED_PROPS) if (key in post.props) retained[key] = post.props[key];
    if (response.update !== undefined) this.#applyUpdate(post, response.update, retained);
    if (response.ephemeralText !== "") {
      const text = response.skipSlackParsing
        ? response.ephemeralText
        : slackLinksToMarkdown(response.ephemeralText);
      this.#sendEphemeral(userId, post, text, retained);
    }
    return { status: "OK", trigger_id: clientTriggerId };
  }

  /** The JSON body of model.PostActionIntegrationRequest, fields in the server's order. */
  #upstreamRequest(
    post: PostRecord,
    userId: string,
    clientTriggerId: string,
    action: NonNullable<ReturnType<typeof findAction>>,
    selectedOption: string,
  ): string {
    const channel = this.#tables.channels.get(post.channel_id)!;
    const team = this.#tables.teams.get(channel.team_id);
    let context = action.integration?.context;
    let dataSource = "";
    if (action.type === "select" && selectedOption !== "") {
      context = { ...context, selected_option: selectedOption };
      dataSource = action.data_source ?? "";
    }
    // GenerateTriggerId: base64("<id>:<user>:<ms>:" + base64 signature); the emulator signs
    // nothing, so the signature is random bytes.
    const signature = base64(crypto.getRandomValues(new Uint8Array(70)));
    const triggerId = base64(
      new TextEncoder().encode(`${clientTriggerId}:${userId}:${Date.now()}:${signature}`),
    );
    return JSON.stringify({
      user_id: userId,
      user_name: this.#tables.users.get(userId)?.username ?? "",
      channel_id: channel.id,
      channel_name: channel.name,
      team_id: channel.team_id,
      team_domain: team?.name ?? "",
      post_id: post.id,
      trigger_id: triggerId,
      type: action.type ?? "",
      data_source: dataSource,
      ...(context !== undefined && Object.keys(context).length > 0 ? { context } : {}),
    });
  }

  /** The answer's `update`, with the retained props put back (UpdatePost, SafeUpdate off). */
  #applyUpdate(
    post: PostRecord,
    update: NonNullable<IntegrationResponse["update"]>,
    retained: Record<string, unknown>,
  ): void {
    let props: Record<string, unknown> | undefined;
    if (update.props !== undefined) {
      props = { ...update.props };
      for (const key of RETAINED_PROPS) delete props[key];
      Object.assign(props, retained);
      // Post.SanitizeProps, as UpdatePost runs it on what it receives.
      delete props.add_channel_member;
      delete props.force_notification;
    }
    this.#changes.replacePost(post.id, {
      message: update.message,
      props,
      fileIds: update.fileIds,
    });
  }

  /**
   * SendEphemeralPost: a post under the clicker's id, in the thread of the clicked post, seen
   * by the clicker alone (`ephemeral_message`, never stored).
   */
  #sendEphemeral(
    userId: string,
    post: PostRecord,
    message: string,
    props: Record<string, unknown>,
  ): void {
    const ephemeral = {
      id: newId(),
      create_at: Date.now(),
      update_at: 0,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: userId,
      channel_id: post.channel_id,
      root_id: post.root_id !== "" ? post.root_id : post.id,
      original_id: "",
      message,
      type: "system_ephemeral",
      props,
      hashtags: "",
      file_ids: null,
      pending_post_id: "",
      reply_count: 0,
      last_reply_at: 0,
      participants: null,
      metadata: {},
    };
    this.#events.publish(
      "ephemeral_message",
      { post: JSON.stringify(ephemeral) },
      { channel_id: post.channel_id, user_id: userId },
      (uid) => uid === userId,
    );
    this.#events.changed();
  }
}
