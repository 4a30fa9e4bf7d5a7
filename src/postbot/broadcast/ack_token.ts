/**
 * The tokens that make a button click believable. Mattermost does not sign the request it makes
 * to a button's integration, so anyone who can reach the bot's port could post a click of their
 * own. Each post's Acknowledge button therefore carries, in its `context`, a token that only the
 * bot can make: an HMAC-SHA256 of the broadcast id and the recipient (`c:<channel id>` or
 * `p:<user id>`) under a random key the bot made once and keeps in the database (`settings`),
 * never the bot's access token. The server strips `integration` (its URL and context) from
 * every post it hands to clients, so the token travels only between the server and the bot.
 *
 * @module
 */

import type { Database } from "../database/port.ts";

/** The `settings` row holding the key, hex-encoded. */
const KEY_SETTING = "action_token_key";

/** Bytes of the key. */
const KEY_BYTES = 32;

const encoder = new TextEncoder();

/** Hex of bytes. */
function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Base64url of bytes, without padding. */
function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Compares two strings in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The key in `settings`, made (32 random bytes) the first time; two processes racing to make it
 * agree on the first one written (instances sharing a database sign alike).
 */
export async function loadTokenKey(db: Database): Promise<Uint8Array> {
  await db.run(
    "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
    [KEY_SETTING, hex(crypto.getRandomValues(new Uint8Array(KEY_BYTES)))],
  );
  const [row] = await db.query<{ value: string }>(
    "SELECT value FROM settings WHERE name = ?",
    [KEY_SETTING],
  );
  const value = row?.value ?? "";
  if (!/^[0-9a-f]{64}$/.test(value)) {
    throw new Error(`the ${KEY_SETTING} setting in the database is damaged`);
  }
  return Uint8Array.from(value.match(/../g)!, (h) => parseInt(h, 16));
}

/** Makes and checks the tokens of acknowledgement buttons. */
export class ActionTokens {
  readonly #key: Promise<CryptoKey>;

  /** Tokens under `key` (see {@link loadTokenKey}). */
  constructor(key: Uint8Array) {
    this.#key = crypto.subtle.importKey(
      "raw",
      key as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** The token of broadcast `broadcastId`'s post to `recipient` (a target key). */
  async sign(broadcastId: string, recipient: string): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      encoder.encode(`ack\n${broadcastId}\n${recipient}`),
    );
    return base64url(new Uint8Array(mac));
  }

  /**
   * The token of the Approve button sent to `approverId` for round `round` of broadcast
   * `broadcastId`'s approval: only that approver's click on that request carries it.
   */
  async signApproval(broadcastId: string, approverId: string, round: number): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      encoder.encode(`approve\n${broadcastId}\n${approverId}\n${round}`),
    );
    return base64url(new Uint8Array(mac));
  }

  /** Whether `token` is the one {@link signApproval} makes for these. */
  async verifyApproval(
    broadcastId: string,
    approverId: string,
    round: number,
    token: string,
  ): Promise<boolean> {
    return sameText(await this.signApproval(broadcastId, approverId, round), token);
  }

  /** Whether `token` is the one {@link sign} makes for this broadcast and recipient. */
  async verify(broadcastId: string, recipient: string, token: string): Promise<boolean> {
    return sameText(await this.sign(broadcastId, recipient), token);
  }
}
