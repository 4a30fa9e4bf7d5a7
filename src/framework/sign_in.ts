/**
 * Signing in over REST at startup: the server answers, the token is the bot's, the bot is in
 * the team. Every failure comes back as a sentence naming the setting to fix (URL, TOKEN,
 * TEAM_NAME, DENO_CERT), so an operator's first run says what is wrong instead of a stack.
 *
 * @module
 */

import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { MattermostClient } from "./client.ts";
import type { BotConfig } from "./config.ts";
import type { BotIdentity } from "./context.ts";
import { logger } from "./logging.ts";
import { isStatus, MattermostError } from "./mattermost_error.ts";
import { RestTransport, type TransportOptions } from "./rest.ts";
import { fail, ok, type Problem, type Result } from "./result.ts";

const log = logger("bot");

/** What signing in established: who the bot is, and the REST client it signed in with. */
export interface SignedIn {
  readonly identity: BotIdentity;
  readonly client: MattermostClient;
  readonly transport: RestTransport;
}

/** Checks the server, the token and the team; the bot's identity, or why it cannot start. */
export async function signIn(
  config: BotConfig,
  transportOptions: Omit<TransportOptions, "serverUrl" | "token"> = {},
): Promise<Result<SignedIn, Problem>> {
  const transport = new RestTransport({
    ...transportOptions,
    serverUrl: config.serverUrl,
    token: config.token,
  });
  const client = new MattermostClient(transport);
  let me: UserProfile;
  try {
    me = await client.getMe();
  } catch (e) {
    return fail(describeStartupFailure(e, config));
  }
  let team: Team;
  try {
    team = await client.getTeamByName(config.teamName);
  } catch (e) {
    if (isStatus(e, 404, 403)) {
      return fail(
        `TEAM_NAME "${config.teamName}" was not found on ${config.serverUrl}, ` +
          `or the bot @${me.username} is not a member of it. Use the team's URL name ` +
          "(the part after the server address in the browser) and add the bot to the team.",
      );
    }
    return fail(describeStartupFailure(e, config));
  }
  log.info("Signed in as @{bot} on {url}, team {team}", {
    bot: me.username,
    url: config.serverUrl,
    team: team.name,
  });
  const identity = { userId: me.id, username: me.username, teamId: team.id, teamName: team.name };
  return ok({ identity, client, transport });
}

function describeStartupFailure(e: unknown, config: BotConfig): string {
  if (e instanceof MattermostError) {
    if (e.status === 401) {
      return `The server at ${config.serverUrl} rejected TOKEN (401 Unauthorized). Create a ` +
        "bot account access token (System Console \u203a Integrations \u203a Bot Accounts) and set TOKEN.";
    }
    if (e.status === 0 && plainHttpAnswer(config.serverUrl, e.message)) {
      const http = config.serverUrl.replace(/^https:/, "http:");
      return `The server at URL=${config.serverUrl} answered in plain HTTP, not HTTPS (TLS): ` +
        `${e.message}. A URL without a scheme means https. If the server has no TLS, set ` +
        `URL=${http}; if it should have TLS, check the port.`;
    }
    if (e.status === 0) {
      return `Cannot reach the Mattermost server at URL=${config.serverUrl}: ${e.message}. ` +
        "Check URL, the network, and for https with a private CA set DENO_CERT=/path/ca.pem.";
    }
    return `The server at ${config.serverUrl} answered ${e.status} (${e.message}). ` +
      "Check that URL points at a Mattermost server.";
  }
  return `Starting failed: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Whether an https request failed because the other side spoke plain HTTP: rustls reports
 * the HTTP bytes as a TLS record of an invalid content type ("received corrupt message of
 * type InvalidContentType").
 */
function plainHttpAnswer(serverUrl: string, message: string): boolean {
  return serverUrl.startsWith("https:") &&
    /InvalidContentType|corrupt message|wrong version number|http request to an https/i.test(
      message,
    );
}
