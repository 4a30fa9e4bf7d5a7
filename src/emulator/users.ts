/**
 * Users and their tokens: seeding an account, deactivating and reactivating it (with the
 * server's `user_updated` events), its time zone and the role that lets it post to every
 * public channel.
 */

import type { UserProfile } from "@mattermost/types/users";
import { newId } from "./ids.ts";
import { isSystemAdmin } from "./permissions.ts";
import type { UserRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";
import { userView } from "./views.ts";

/** A user to seed with `createUser` (roles "system_user" unless given). */
export interface NewUser {
  username: string;
  first_name?: string;
  last_name?: string;
  is_bot?: boolean;
  roles?: string;
  timezone?: UserTimezone;
}

/**
 * A user's time zone choice: automatic (the browser's zone, `automaticTimezone`) or manual.
 * The server stores all three fields as strings (model.User.Timezone is a StringMap).
 */
export type UserTimezone =
  | { readonly automatic: string }
  | { readonly manual: string; readonly automatic?: string };

/** The notification settings a new account gets (model.User.SetDefaultNotifications). */
const DEFAULT_NOTIFY_PROPS: Readonly<Record<string, string>> = {
  channel: "true",
  comments: "never",
  desktop: "mention",
  desktop_sound: "true",
  email: "true",
  first_name: "false",
  mention_keys: "",
  push: "mention",
  push_status: "online",
};

/** Accounts, tokens and profile settings. */
export class UserStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents) {
    this.#tables = tables;
    this.#events = events;
  }

  /** Creates a user (roles "system_user" unless given) and a token for it. */
  createUser(u: NewUser): { user: UserProfile; token: string } {
    if (this.#tables.userRecordByName(u.username)) throw new Error(`username taken: ${u.username}`);
    const now = Date.now();
    const record: UserRecord = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      username: u.username,
      auth_service: "",
      email: u.is_bot ? `${u.username}@localhost` : `${u.username}@example.com`,
      nickname: "",
      first_name: u.first_name ?? "",
      last_name: u.last_name ?? "",
      position: "",
      roles: u.roles ?? "system_user",
      props: {},
      notify_props: { ...DEFAULT_NOTIFY_PROPS },
      last_password_update: now,
      locale: "en",
      timezone: u.timezone === undefined
        ? { automaticTimezone: "", manualTimezone: "", useAutomaticTimezone: "true" }
        : timezoneRecord(u.timezone),
      disable_welcome_email: false,
    };
    if (u.is_bot) {
      record.is_bot = true;
      record.bot_description = "";
    }
    this.#tables.users.set(record.id, record);
    const token = newId();
    this.#tables.tokens.set(token, record.id);
    this.#events.changed();
    return { user: this.#tables.user(record.id)!, token };
  }

  /**
   * Deactivates (`active` false) or reactivates a user, as UpdateActive does: delete_at and
   * update_at set; a deactivated user's tokens are refused (see {@link Tables.tokenUser}); and
   * `user_updated` with the user is published as sendUpdatedUserEvent does: to system admins
   * (ContainsSensitiveData), to everyone else sanitized (ContainsSanitizedData), and to the
   * user. Memberships of teams and channels stay.
   */
  setUserActive(userId: string, active: boolean): void {
    const user = this.#known(userId);
    const now = Date.now();
    user.update_at = now;
    user.delete_at = active ? 0 : now;
    const omit = { [userId]: true };
    const admin = (uid: string) => isSystemAdmin(this.#tables, uid);
    this.#events.publish(
      "user_updated",
      { user: userView(user, "") },
      { omit_users: omit, contains_sensitive_data: true },
      (uid) => uid !== userId && admin(uid),
    );
    this.#events.publish(
      "user_updated",
      { user: userView(user, "") },
      { omit_users: omit, contains_sanitized_data: true },
      (uid) => uid !== userId && !admin(uid),
    );
    this.#events.publish(
      "user_updated",
      { user: userView(user, userId) },
      { user_id: userId },
      (uid) => uid === userId,
    );
    this.#events.changed();
  }

  /** Adds the system_post_all_public role ("post:channels"). */
  grantPostAllPublic(userId: string): void {
    const user = this.#known(userId);
    if (!user.roles.split(/\s+/).includes("system_post_all_public")) {
      user.roles = `${user.roles} system_post_all_public`.trim();
    }
  }

  /** Sets a user's time zone as their profile stores it (what the web client's settings do). */
  setUserTimezone(userId: string, timezone: UserTimezone): void {
    const user = this.#known(userId);
    user.timezone = timezoneRecord(timezone);
    user.update_at = Date.now();
    this.#events.changed();
  }

  #known(userId: string): UserRecord {
    const user = this.#tables.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    return user;
  }
}

/** The three strings model.User.Timezone stores for a choice. */
function timezoneRecord(tz: UserTimezone): Record<string, string> {
  return "manual" in tz
    ? {
      automaticTimezone: tz.automatic ?? "",
      manualTimezone: tz.manual,
      useAutomaticTimezone: "false",
    }
    : { automaticTimezone: tz.automatic, manualTimezone: "", useAutomaticTimezone: "true" };
}
