/**
 * Errors and response helpers shaped like the real server's: every API error is a JSON
 * AppError (server/public/model/utils.go) with `Content-Type: application/json` exactly,
 * because Client4 only parses JSON when the content type is exactly that.
 */

import { isValidId } from "./ids.ts";

/** English texts of the error ids the emulator produces (server/i18n/en.json), `{{.Name}}` style templates. */
const MESSAGES: Record<string, string> = {
  "api.context.session_expired.app_error": "Invalid or expired session, please login again.",
  "api.context.permissions.app_error": "You do not have the appropriate permissions.",
  "api.context.invalid_url_param.app_error":
    "Invalid or missing {{.Name}} parameter in request URL.",
  "api.context.invalid_body_param.app_error": "Invalid or missing {{.Name}} in request body.",
  "api.context.invalid_param.app_error": "Invalid {{.Name}} parameter.",
  "api.context.404.app_error": "Sorry, we could not find the page.",
  "app.post.save.app_error": "Unable to save the Post.",
  "app.team.join_user_to_team.save_member.max_accounts.app_error":
    "Unable to create the new team membership because the team has reached the limit of members",
  "app.user.missing.app_error": "Unable to find the user.",
  "app.user.get_by_username.app_error":
    "Unable to find an existing account matching your username for this team. This team may require an invite from the team owner to join.",
  "app.team.get.find.app_error": "Unable to find the existing team.",
  "app.team.get_by_name.missing.app_error": "Unable to find the existing team.",
  "app.team.get_member.missing.app_error": "No team member found for that user ID and team ID.",
  "app.channel.get.existing.app_error": "Unable to find the existing channel.",
  "app.channel.get_by_name.missing.app_error": "Channel does not exist.",
  "app.channel.get_member.missing.app_error":
    "No channel member found for that user ID and channel ID.",
  "app.channel.get_channels.not_found.app_error": "No channels were found.",
  "api.channel.create_direct_channel.invalid_user.app_error":
    "Invalid user ID for direct channel creation.",
  "app.post.get.app_error": "Unable to get the post.",
  "api.post.create_post.can_not_post_to_deleted.error": "Can not post to deleted channel.",
  "api.post.create_post.root_id.app_error": "Invalid RootId parameter.",
  "api.post.create_post.channel_root_id.app_error": "Invalid ChannelId for RootId parameter.",
  "api.post.delete_post.can_not_delete_post_in_deleted.error":
    "Can not delete a post in a deleted channel.",
  "model.post.is_valid.message_length.app_error":
    "Post Message property is longer than the maximum permitted length.",
  "model.post.is_valid.file_ids.app_error":
    "Invalid file ids. Note that uploads are limited to 10 files maximum. Please use additional posts for more files.",
  "api.file.upload_file.too_large_detailed.app_error":
    "Unable to upload file {{.Filename}}. {{.Length}} bytes exceeds the maximum allowed {{.Limit}} bytes.",
  "api.file.upload_file.read_request.app_error":
    "Unable to upload file(s). Error reading or parsing request data.",
  "api.file.upload_file.incorrect_number_of_client_ids.app_error":
    "Unable to upload file(s). Have {{.NumClientIds}} client_ids for {{.NumFiles}} files.",
  "app.file_info.get.app_error": "Unable to get the file info.",
  "api.web_socket_router.not_authenticated.app_error":
    "Connection is not authenticated. Please log in and try again.",
  "api.web_socket_router.bad_seq.app_error": "Invalid sequence for WebSocket message.",
  "api.web_socket_router.no_action.app_error": "No websocket action.",
  "api.web_socket_router.bad_action.app_error": "Unknown WebSocket action.",
  "api.emulator.injected_fault.app_error": "Fault injected by the emulator.",
  "api.emulator.internal_error": "The emulator failed to handle the request.",
  "api.web_socket.connect.upgrade.app_error": "Failed to upgrade websocket connection.",
  "api.file.upload_file.multiple_channel_ids.app_error":
    "Unable to upload file(s). Multiple conflicting channel_ids.",
  "api.payload.parse.error": "An error occurred while parsing the payload.",
  "api.reaction.save_reaction.invalid.app_error": "Reaction is not valid.",
  "api.reaction.save_reaction.user_id.app_error": "You cannot save reaction for the other user.",
  "app.emoji.get_by_name.no_result": "We couldn\u2019t find the emoji.",
  "app.reaction.save.save.too_many_reactions": "Reaction limit has been reached for this post.",
  "api.reaction.save.archived_channel.app_error": "You cannot react in an archived channel.",
  "api.reaction.delete.archived_channel.app_error":
    "You cannot remove a reaction in an archived channel.",
  "api.reaction.save.restricted_dm.error": "Cannot react in restricted DM",
  "api.reaction.delete.restricted_dm.error": "Cannot react in restricted DM",
  "api.post.do_action.action_integration.app_error": "Action integration error.",
  "api.post.do_action.action_id.app_error": "Invalid action id.",
  "api.post.update_post.system_message.app_error": "Unable to update system message.",
  "api.post.update_post.permissions_details.app_error": "Already deleted id={{.PostId}}.",
  "api.post.update_post.can_not_update_post_in_deleted.error":
    "Can not update a post in a deleted channel.",
  "api.post.update_post.can_not_update_post_in_restricted_dm.error":
    "Cannot update post in restricted direct message channel.",
  "api.post.create_post.can_not_post_in_restricted_dm.error":
    "Cannot post to restricted direct message channel.",
  "api.post.post_priority.priority_post_only_allowed_for_root_post.request_error":
    "Only root posts are allowed to have priority.",
  "license_error.feature_unavailable": "Feature is not available for the current license",
  "api.channel.create_channel.direct_channel.team_restricted_error":
    "A direct channel cannot be created between these users because they do not share a team in common.",
};

function render(id: string, params?: Record<string, unknown>): string {
  const template = MESSAGES[id] ?? id;
  return template.replace(/\{\{\.(\w+)\}\}/g, (_, key: string) => String(params?.[key] ?? ""));
}

/**
 * The server's AppError: thrown by store operations and turned into a JSON error response.
 * `detailed_error` stays empty, as on a server without developer mode (WipeDetailed).
 */
export class AppError extends Error {
  /** Creates the error with its Mattermost id, HTTP status and optional template parameters. */
  constructor(
    readonly id: string,
    readonly statusCode: number,
    readonly params?: Record<string, unknown>,
  ) {
    super(render(id, params));
    this.name = "AppError";
  }

  /** The JSON body the server writes: `{id, message, detailed_error, request_id, status_code}`. */
  toBody(requestId: string): Record<string, unknown> {
    return {
      id: this.id,
      message: this.message,
      detailed_error: "",
      request_id: requestId,
      status_code: this.statusCode,
    };
  }
}

/** 401 for a missing, unknown or revoked token (web/handlers.go, Context.SessionRequired). */
export function sessionExpired(): AppError {
  return new AppError("api.context.session_expired.app_error", 401);
}

/** 403 permission error (model.MakePermissionError); the permission name only appears in the wiped detail. */
export function permissionError(): AppError {
  return new AppError("api.context.permissions.app_error", 403);
}

/** A path the server's router does not know (a parameter outside its pattern). */
export function noSuchRoute(): AppError {
  return new AppError("api.context.404.app_error", 404);
}

/** 400 for a malformed path parameter (Context.SetInvalidURLParam). */
export function invalidUrlParam(name: string): AppError {
  return new AppError("api.context.invalid_url_param.app_error", 400, { Name: name });
}

/** The id in the URL parameter `name`; throws the server's 400 when it is malformed. */
export function requireId(value: string, name: string): string {
  if (!isValidId(value)) throw invalidUrlParam(name);
  return value;
}

/** 400 for a malformed body parameter (Context.SetInvalidParam). */
export function invalidBodyParam(name: string): AppError {
  return new AppError("api.context.invalid_body_param.app_error", 400, { Name: name });
}

/** A JSON response with exactly `application/json`, as the server writes for API calls. */
export function jsonResponse(status: number, body: unknown, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** The JSON error response for an AppError. */
export function errorResponse(error: AppError, requestId: string): Response {
  return jsonResponse(error.statusCode, error.toBody(requestId));
}

/** A plain-text response, like Go's http.Error (used for 429 and outage answers). */
export function textResponse(status: number, text: string, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "text/plain; charset=utf-8");
  h.set("X-Content-Type-Options", "nosniff");
  return new Response(text, { status, headers: h });
}

/** `{"status":"OK"}`, the body of DELETE and other action endpoints (api4 ReturnStatusOK). */
export function statusOk(): Response {
  return jsonResponse(200, { status: "OK" });
}
