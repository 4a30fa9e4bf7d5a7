/**
 * channels.toml shared through the database (with `DATABASE_URL`): the instances may run on
 * hosts without a shared directory, each with its own file. The active stores the whole text
 * at every write (`ChannelsStore.shareWith`); an instance that becomes active compares its
 * own file with the stored copy, and the newest wins:
 *
 * - no stored copy: the local text is stored (a missing local file stores nothing);
 * - the same text: nothing to do;
 * - the stored copy newer than the local file's modification time (or no local file): it is
 *   checked as startup checks a file, written to the local file atomically and used;
 * - the local file newer (a hand edit since): the local text is stored.
 *
 * "Newer" compares the writer's clock with the local file's: the hosts' clocks must agree
 * (NTP), as the lease already needs.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import type { ChannelsStore, LocalChannelsFile } from "./channels/channels_file.ts";
import type { SharedFile, SharedFiles } from "./storage/shared_files.ts";

const log = logger("channels");

/** The name channels.toml is stored under in `shared_files`. */
export const SHARED_CHANNELS_NAME = "channels.toml";

/** What becoming active does with the local file and the stored copy. */
export type ChannelsSyncDecision =
  | { readonly kind: "store_local"; readonly why: "none_stored" | "local_newer" }
  | { readonly kind: "take_stored"; readonly stored: SharedFile }
  | { readonly kind: "nothing"; readonly why: "same_text" | "nothing_to_store" };

/** The newest-wins rule (see the module's doc), as a decision. */
export function decideChannelsSync(
  local: LocalChannelsFile,
  stored: SharedFile | undefined,
): ChannelsSyncDecision {
  if (stored === undefined) {
    return local.missing
      ? { kind: "nothing", why: "nothing_to_store" }
      : { kind: "store_local", why: "none_stored" };
  }
  if (!local.missing && stored.content === local.text) return { kind: "nothing", why: "same_text" };
  if (local.missing || local.modifiedAt === undefined || stored.writtenAt > local.modifiedAt) {
    return { kind: "take_stored", stored };
  }
  return { kind: "store_local", why: "local_newer" };
}

/** What {@link ChannelsSharing.onActive} did, for the log and tests. */
export type ChannelsSyncOutcome =
  | ChannelsSyncDecision
  | { readonly kind: "failed"; readonly message: string };

/** Keeps channels.toml and its copy in the database in step (see the module's doc). */
export class ChannelsSharing {
  readonly #channels: ChannelsStore;
  readonly #files: SharedFiles;
  readonly #writer: string;
  readonly #now: () => number;

  /** `writer`: this instance, as `written_by` names it. */
  constructor(channels: ChannelsStore, files: SharedFiles, writer: string, now = Date.now) {
    this.#channels = channels;
    this.#files = files;
    this.#writer = writer;
    this.#now = now;
  }

  /** Hands every text the store writes to {@link share}. */
  attach(): void {
    this.#channels.shareWith((text) => this.share(text));
  }

  /**
   * Stores `text` (just written to the file); answers a warning for the person whose command
   * wrote it when it could not be stored (logged here, once), else undefined.
   */
  async share(text: string): Promise<string | undefined> {
    const why = await this.#store(text).then(
      (stored) => stored ? undefined : "this instance is no longer the active one",
      (e: unknown) => e instanceof Error ? e.message : String(e),
    );
    if (why === undefined) return undefined;
    log.warn("{path} was written but could not be stored in the database ({why})", {
      path: this.#channels.path,
      why,
    });
    return `the change is saved to channels.toml on this instance only: it could not be ` +
      `stored in the database (${why}), so the other instances will not see it until it is. ` +
      "Each change saved stores the whole file: once the database is reachable again, save " +
      "another change here, or copy this channels.toml to the other instances' hosts.";
  }

  /** On becoming active: the newest of the local file and the stored copy wins. */
  async onActive(): Promise<ChannelsSyncOutcome> {
    const path = this.#channels.path;
    try {
      const local = await this.#channels.readLocal();
      if (!local.ok) {
        log.warn("{path} could not be read again ({error}); the copy read at start is used", {
          path,
          error: local.error.message,
        });
        return { kind: "failed", message: local.error.message };
      }
      const decision = decideChannelsSync(
        local.value,
        await this.#files.read(SHARED_CHANNELS_NAME),
      );
      return await this.#act(decision, local.value.text);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn("{path} could not be compared with the database's copy ({error})", {
        path,
        error: message,
      });
      return { kind: "failed", message };
    }
  }

  async #act(decision: ChannelsSyncDecision, localText: string): Promise<ChannelsSyncOutcome> {
    const path = this.#channels.path;
    if (decision.kind === "store_local") {
      if (!await this.#store(localText)) {
        return { kind: "failed", message: "this instance is no longer the active one" };
      }
      log.info(
        decision.why === "none_stored"
          ? "{path} stored in the database (it held no copy yet)"
          : "{path} stored in the database (the local file is newer than its copy: a hand edit)",
        { path },
      );
    } else if (decision.kind === "nothing" && decision.why === "same_text") {
      log.info("{path} is the same as the database's copy", { path });
    } else if (decision.kind === "take_stored") {
      const { stored } = decision;
      const taken = await this.#channels.replaceWith(stored.content);
      if (!taken.ok) {
        log.warn("The database's copy of {path} is not used, the local file is kept: {error}", {
          path,
          error: taken.error.message,
        });
        return { kind: "failed", message: taken.error.message };
      }
      log.info("{path} taken from the database (written by {by} at {at})", {
        path,
        by: stored.writtenBy,
        at: new Date(stored.writtenAt).toISOString(),
      });
    }
    return decision;
  }

  #store(text: string): Promise<boolean> {
    return this.#files.write({
      name: SHARED_CHANNELS_NAME,
      content: text,
      writtenAt: this.#now(),
      writtenBy: this.#writer,
    });
  }
}
