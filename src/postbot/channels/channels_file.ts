/**
 * channels.toml on disk: loading it, and adding groups, lists and aliases from chat commands.
 *
 * The file belongs to people (hand-edited, in git) as much as to the bot, so every write:
 *
 * - is serialized through one queue, so concurrent commands never lose an update;
 * - re-reads and re-validates the file first, so hand edits made since the last load are
 *   kept (and a file broken by hand is reported, not overwritten);
 * - refuses a name already used by a group, alias or whitelisted channel (ignoring case);
 * - inserts the new lines surgically (comments, order and layout stay byte-for-byte);
 * - re-parses the edited text and checks it equals the old config plus exactly the new
 *   entries, else refuses;
 * - checks the file before and the whole file after the edit with the rules startup applies
 *   ({@link ChannelsStore.guard}): it never writes a file the next start would refuse, and
 *   names what a hand edit already broke instead of building on it;
 * - replaces the file atomically: write `<path>.tmp` (that exact name, in the same
 *   directory: the bot's `--allow-write` grants are per file), fsync, close, rename over
 *   the file. On any failure the temporary file is removed and the file is untouched.
 *
 * A missing file is a valid empty config (see {@link ChannelsStore.missing}); the first
 * write creates it.
 *
 * @module
 */

import { describeProblem, err, ok, type Problem, type Result } from "@postbot/framework";
import {
  aliasProblem,
  type ChannelsConfig,
  type ChannelsFileError,
  channelsFileError,
  EMPTY_CHANNELS_CONFIG,
  findNameClash,
  groupChannelProblem,
  groupNameProblem,
  type GroupTable,
  listEntryProblem,
  listNameProblem,
  nameKey,
  parseChannelsToml,
  sameChannelsConfig,
} from "./parse.ts";
import type { GroupDefinition } from "./group_input.ts";
import type { ListDefinition } from "./list_input.ts";
import {
  type EditableTable,
  type InlineTable,
  insertIntoTable,
  TomlEditError,
  type TomlEntryValue,
} from "./toml_text.ts";
import type { AudienceRules } from "./audience_rules.ts";

/** Why a write was refused or failed; in every case the file on disk is unchanged. */
export type ChannelsWriteErrorKind =
  /** The file on disk does not read or validate (e.g. broken by a hand edit). */
  | "invalid_file"
  /** The name (group or alias) is already used by a group, alias or whitelisted channel. */
  | "name_taken"
  /** The request itself is invalid (bad name, bad id, unknown alias target). */
  | "invalid_request"
  /** The table is written in a form the bot cannot extend (inline table, array of tables). */
  | "unsupported_layout"
  /** The edited text did not read back as old config + new entries (a bug; nothing written). */
  | "verify_failed"
  /** The edited file would fail a rule of {@link ChannelsStore.guard}: startup would refuse it. */
  | "refused_at_start"
  /** Writing the temporary file or renaming it failed (permissions, disk full, ...). */
  | "write_failed";

/**
 * A refused or failed write: a {@link Problem} whose message is complete (multi-line, naming
 * the file and saying what to do) for the user or the log.
 */
export interface ChannelsWriteError extends Problem {
  readonly kind: ChannelsWriteErrorKind;
  readonly file: string;
  /** For `invalid_file`: the underlying problem with its place. */
  readonly fileError?: ChannelsFileError;
}

/**
 * The file operations the store performs. Tests replace some of them to simulate failures
 * at each step; production uses {@link DENO_CHANNELS_FS}.
 */
export interface ChannelsStoreFs {
  /** Reads the whole file; must reject with `Deno.errors.NotFound` when it does not exist. */
  readFile(path: string): Promise<Uint8Array>;
  /** Permission bits of an existing file, or `undefined` when unknown or missing. */
  fileMode(path: string): Promise<number | undefined>;
  /** When the file was last modified (epoch ms), or `undefined` when unknown or missing. */
  modifiedAt(path: string): Promise<number | undefined>;
  /** Creates or truncates `path`, writes `data`, fsyncs and closes it. */
  writeAndSync(path: string, data: Uint8Array, mode: number | undefined): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes `path` if it is a regular file (never a directory or what a symlink points to). */
  removeFile(path: string): Promise<void>;
}

/** The real file system, through Deno's APIs. */
export const DENO_CHANNELS_FS: ChannelsStoreFs = {
  readFile: (path) => Deno.readFile(path),
  async fileMode(path) {
    try {
      const mode = (await Deno.stat(path)).mode;
      return mode === null ? undefined : mode & 0o7777;
    } catch {
      return undefined;
    }
  },
  async modifiedAt(path) {
    try {
      return (await Deno.stat(path)).mtime?.getTime();
    } catch {
      return undefined;
    }
  },
  async writeAndSync(path, data, mode) {
    const file = await Deno.open(path, {
      write: true,
      create: true,
      truncate: true,
      ...(mode === undefined ? {} : { mode }),
    });
    try {
      for (let n = 0; n < data.length;) n += await file.write(data.subarray(n));
      if (mode !== undefined && Deno.build.os !== "windows") await Deno.chmod(path, mode);
      await file.sync();
    } finally {
      file.close();
    }
  },
  rename: (from, to) => Deno.rename(from, to),
  async removeFile(path) {
    let isFile: boolean;
    try {
      isFile = (await Deno.lstat(path)).isFile;
    } catch (e) {
      // Without read permission on the temp path, removing it is still worth a try.
      if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) {
        throw e;
      }
      isFile = true;
    }
    if (isFile) await Deno.remove(path);
  },
};

/**
 * A check of a whole, valid channels.toml beyond its own validation, as startup applies it:
 * every violation, placed in `text` (empty when the file passes). See channels_rules.ts.
 */
export type ChannelsRule = (
  config: ChannelsConfig,
  text: string,
  file: string,
) => readonly ChannelsFileError[];

/**
 * Where each text the store writes is also kept (with `DATABASE_URL`: the shared database,
 * for the other instances). Answers a warning for the person whose command wrote it when
 * the text could not be kept there, else undefined; never throws.
 */
export type ChannelsShare = (text: string) => Promise<string | undefined>;

/**
 * The outcome of a write: the new config, or why nothing was written. `warning`: written to
 * the file, but not shared with the other instances (see {@link ChannelsShare}).
 */
export type ChannelsWriteResult = Result<ChannelsConfig, ChannelsWriteError> & {
  readonly warning?: string;
};

/** The file as read now: its text, whether it exists, and when it was last modified. */
export interface LocalChannelsFile {
  readonly text: string;
  readonly missing: boolean;
  /** Epoch ms; undefined when missing or unknown. */
  readonly modifiedAt: number | undefined;
}

/** Options of {@link ChannelsStore.load}. */
export interface ChannelsStoreOptions {
  /** Replaces some file operations (tests). */
  readonly fs?: Partial<ChannelsStoreFs>;
}

interface DiskState {
  /** The file's text, BOM included (so a rewrite keeps it); `""` when missing. */
  readonly text: string;
  readonly config: ChannelsConfig;
  readonly missing: boolean;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The group table's field in {@link ChannelsConfig}. */
function configField(kind: GroupTable): "groups" | "privateGroups" {
  return kind === "groups" ? "groups" : "privateGroups";
}

/** channels.toml, loaded, with serialized, verified, atomic additions. */
export class ChannelsStore {
  readonly #path: string;
  readonly #fs: ChannelsStoreFs;
  #config: ChannelsConfig;
  #text: string;
  #missing: boolean;
  #rule: ChannelsRule = () => [];
  #resolve = (config: ChannelsConfig) => config;
  #view: [raw: ChannelsConfig, resolved: ChannelsConfig] | undefined;
  #tail: Promise<void> = Promise.resolve();
  #share: ChannelsShare | undefined;

  private constructor(path: string, fs: ChannelsStoreFs, state: DiskState) {
    this.#path = path;
    this.#fs = fs;
    this.#config = state.config;
    this.#text = state.text;
    this.#missing = state.missing;
  }

  /**
   * Reads and validates the file at `path`. A missing file gives an empty config (check
   * {@link missing} to report it); an unreadable or invalid one gives an error with its place.
   */
  static async load(
    path: string,
    options: ChannelsStoreOptions = {},
  ): Promise<Result<ChannelsStore, ChannelsFileError>> {
    const fs = { ...DENO_CHANNELS_FS, ...options.fs };
    const state = await readState(path, fs);
    return state.ok ? ok(new ChannelsStore(path, fs, state.value)) : state;
  }

  /** The file this store reads and writes. */
  get path(): string {
    return this.#path;
  }

  /** The config as last read (or written), group channels named by name resolved. */
  get config(): ChannelsConfig {
    if (this.#view?.[0] !== this.#config) this.#view = [this.#config, this.#resolve(this.#config)];
    return this.#view[1];
  }

  /** From now on {@link config} names group channels by id (`resolve`: see channels_rules.ts). */
  resolveWith(resolve: (config: ChannelsConfig) => ChannelsConfig): void {
    [this.#resolve, this.#view] = [resolve, undefined];
  }

  /** From now on every text this store writes for a command is also given to `share`. */
  shareWith(share: ChannelsShare): void {
    this.#share = share;
  }

  /** True when the file did not exist at the last read (the config is then empty). */
  get missing(): boolean {
    return this.#missing;
  }

  /**
   * Re-reads the file (after the writes already queued). On success the new config replaces
   * the current one; on failure the last good config stays in use.
   */
  async reload(): Promise<Result<ChannelsConfig, ChannelsFileError>> {
    const read = await this.readLocal();
    return read.ok ? ok(this.#config) : read;
  }

  /**
   * Re-reads the file like {@link reload} and answers its text and modification time (to
   * compare it with a shared copy).
   */
  readLocal(): Promise<Result<LocalChannelsFile, ChannelsFileError>> {
    return this.#enqueue(async () => {
      const state = await readState(this.#path, this.#fs);
      if (!state.ok) return state;
      const refused = this.#rule(state.value.config, state.value.text, this.#path);
      if (refused.length > 0) return err(refused[0]);
      this.#adopt(state.value);
      const modifiedAt = state.value.missing ? undefined : await this.#fs.modifiedAt(this.#path);
      return ok({ text: state.value.text, missing: state.value.missing, modifiedAt });
    });
  }

  /**
   * Replaces the whole file with `text` (a copy shared by another instance: comments and
   * all), after checking it as startup would: it must read, validate and pass the guard's
   * rule, else nothing is written. Written atomically and adopted; not given to the share.
   */
  replaceWith(text: string): Promise<Result<ChannelsConfig, ChannelsWriteError>> {
    return this.#enqueue(async () => {
      const after = checkedWhole(text, this.#path, this.#rule);
      if (!after.ok) return after;
      const written = await writeAtomically(this.#fs, this.#path, text);
      if (!written.ok) return written;
      this.#adopt(after.value);
      return ok(after.value.config);
    });
  }

  /**
   * Adds groups to `[groups]` or `[private_groups]`. Refuses (writing nothing) if any name is
   * already used by a group in either table, an alias or a whitelisted channel, ignoring
   * case. Duplicate ids within a group are collapsed. Returns the new config.
   */
  addGroups(
    kind: GroupTable,
    defs: readonly GroupDefinition[],
  ): Promise<ChannelsWriteResult> {
    return this.#addNamed(
      { table: kind, what: "group" },
      defs.map((d) => ({ name: d.name, values: d.channelIds, rules: d.rules })),
      (config, entries) => withGroups(config, configField(kind), entries, defs),
    );
  }

  /**
   * Adds lists of people to `[lists]`. Refuses (writing nothing) a name already used by a
   * group, list, alias or whitelisted channel, ignoring case. Returns the new config.
   */
  addLists(defs: readonly ListDefinition[]): Promise<ChannelsWriteResult> {
    return this.#addNamed(
      { table: "lists", what: "list" },
      defs.map((d) => ({ name: d.name, values: d.entries })),
      (config, entries) => ({ ...config, lists: new Map([...config.lists, ...entries]) }),
    );
  }

  /** Adds named entries (groups, lists) to `table`: checked, free names only, verified. */
  #addNamed(
    { table, what }: { table: GroupTable | "lists"; what: "group" | "list" },
    defs: readonly { name: string; values: readonly string[]; rules?: AudienceRules }[],
    merge: (config: ChannelsConfig, entries: [string, string[]][]) => ChannelsConfig,
  ): Promise<ChannelsWriteResult> {
    return this.#enqueue(async () => {
      const entries: [string, string[]][] = [];
      const names = new Set<string>();
      for (const def of defs) {
        const problem = entryProblem(what, def) ??
          (names.has(nameKey(def.name)) ? "the name is given twice" : undefined);
        if (problem !== undefined) {
          return this.#refuse(
            "invalid_request",
            `cannot add ${what} ${JSON.stringify(def.name)}: ${problem}. ` +
              `${this.#path} was not changed.`,
          );
        }
        names.add(nameKey(def.name));
        entries.push([def.name, [...new Set(def.values)]]);
      }
      if (entries.length === 0) return ok(this.#config);
      const disk = await this.#readForWrite();
      if (!disk.ok) return disk;
      const { config } = disk.value;
      const clashes = entries.flatMap(([name]) => {
        const clash = findNameClash(config, name);
        return clash === undefined ? [] : [`${JSON.stringify(name)} (${clash} exists)`];
      });
      if (clashes.length > 0) {
        return this.#refuse(
          "name_taken",
          `${clashes.length === 1 ? "this name is" : "these names are"} already taken: ` +
            `${clashes.join(", ")}. The names of groups and lists must differ from every ` +
            "group, list, alias and whitelisted channel, ignoring case: choose another name, " +
            `or edit ${this.#path} by hand to change an existing one. Nothing was written.`,
        );
      }
      const written = entries.map(([name, values]): [string, TomlEntryValue] => {
        const rules = defs.find((d) => d.name === name)?.rules;
        return [name, rules === undefined ? values : inlineGroup(values, rules)];
      });
      return await this.#apply(disk.value, table, written, merge(config, entries));
    });
  }

  /**
   * Adds `alias` (stored lowercase) for an existing group or whitelisted channel; `target`
   * is matched ignoring case and stored as the existing name is spelled. Refuses an alias
   * that already exists, or that equals a group name, another alias or a whitelisted channel
   * (ignoring case): a name must mean one thing. Returns the new config.
   */
  addAlias(
    alias: string,
    target: string,
  ): Promise<ChannelsWriteResult> {
    return this.#enqueue(async () => {
      const lower = alias.toLowerCase();
      const problem = aliasProblem(lower);
      if (problem !== undefined) {
        return this.#refuse(
          "invalid_request",
          `cannot add alias ${JSON.stringify(alias)}: ${problem}. ${this.#path} was not changed.`,
        );
      }
      const disk = await this.#readForWrite();
      if (!disk.ok) return disk;
      const { config } = disk.value;
      const canonical = aliasTarget(config, lower, target, this.#path);
      if (!canonical.ok) return this.#refuse(canonical.error.kind, canonical.error.message);
      const aliases = new Map(config.aliases).set(lower, canonical.value);
      return await this.#apply(disk.value, "aliases", [[lower, canonical.value]], {
        ...config,
        aliases,
      });
    });
  }

  /** Runs `job` after every job queued before it, whatever their outcome. */
  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  #adopt(state: DiskState): void {
    this.#config = state.config;
    this.#text = state.text;
    this.#missing = state.missing;
  }

  /**
   * From now on, refuses to write (or reload) a file that fails `rule`, the check startup
   * applies beyond the file's own validation; returns what the file as loaded fails, so that
   * startup refuses it with the very same function.
   */
  guard(rule: ChannelsRule): readonly ChannelsFileError[] {
    this.#rule = rule;
    return rule(this.#config, this.#text, this.#path);
  }

  /** Every violation of the guard's rule, as one message for a refusal. */
  #violations(state: DiskState, lead: string): string | undefined {
    return violationsOf(this.#rule, this.#path, state, lead);
  }

  #refuse(kind: ChannelsWriteErrorKind, message: string): Result<never, ChannelsWriteError> {
    return err({ kind, file: this.#path, message });
  }

  /** Re-reads the file before a write; adopts it when valid (hand edits are kept). */
  async #readForWrite(): Promise<Result<DiskState, ChannelsWriteError>> {
    const state = await readState(this.#path, this.#fs);
    if (!state.ok) {
      return err({
        kind: "invalid_file",
        file: this.#path,
        fileError: state.error,
        message: `${describeProblem(state.error)}\n${this.#path} must be fixed by hand ` +
          "before the bot can change it. Nothing was written.",
      });
    }
    const refused = this.#violations(state.value, `${this.#path} already has`);
    if (refused !== undefined) {
      return this.#refuse(
        "invalid_file",
        `${refused}\nFix ${this.#path} by hand before the bot can change it. Nothing was written.`,
      );
    }
    this.#adopt(state.value);
    return state;
  }

  /** Inserts, verifies, writes atomically; adopts the new config on success. */
  async #apply(
    disk: DiskState,
    table: EditableTable,
    entries: [string, TomlEntryValue][],
    expected: ChannelsConfig,
  ): Promise<ChannelsWriteResult> {
    let text: string;
    try {
      text = insertIntoTable(disk.text, table, entries);
    } catch (e) {
      if (!(e instanceof TomlEditError)) throw e;
      return this.#refuse(
        "unsupported_layout",
        `cannot add to [${table}] in ${this.#path}: ${e.message}. ${this.#path} was not changed.`,
      );
    }
    const check = parseChannelsToml(text, this.#path);
    if (!check.ok || !sameChannelsConfig(check.value, expected)) {
      const why = check.ok ? "it reads back different" : check.error.message;
      return this.#refuse(
        "verify_failed",
        `the edit of ${this.#path} did not check out (${why}), so nothing was written. ` +
          `Add the entry by hand in [${table}], and please report this.`,
      );
    }
    const after = { text, config: check.value, missing: false };
    const refused = this.#violations(after, `the edit would give ${this.#path}`);
    if (refused !== undefined) {
      return this.#refuse("refused_at_start", `${refused}\nNothing was written.`);
    }
    const written = await writeAtomically(this.#fs, this.#path, text);
    if (!written.ok) return written;
    this.#adopt(after);
    const warning = await this.#share?.(text);
    return warning === undefined ? ok(check.value) : { ...ok(check.value), warning };
  }
}

/** Every violation of `rule` by `state`, as one message for a refusal; undefined if none. */
function violationsOf(
  rule: ChannelsRule,
  path: string,
  state: DiskState,
  lead: string,
): string | undefined {
  const found = rule(state.config, state.text, path);
  if (found.length === 0) return undefined;
  return `${lead} ${found.length === 1 ? "a problem" : `${found.length} problems`} the bot ` +
    "refuses at start:\n" + found.map((p) => `- ${describeProblem(p)}`).join("\n");
}

/** A whole text for the file, checked as startup checks it: it reads, validates, passes `rule`. */
function checkedWhole(
  text: string,
  path: string,
  rule: ChannelsRule,
): Result<DiskState, ChannelsWriteError> {
  const parsed = parseChannelsToml(text, path);
  if (!parsed.ok) {
    return err({
      kind: "invalid_file",
      file: path,
      message: `the new text does not read: ${describeProblem(parsed.error)}. ${path} was ` +
        "not changed.",
    });
  }
  const after = { text, config: parsed.value, missing: false };
  const refused = violationsOf(rule, path, after, "the new text has");
  return refused === undefined ? ok(after) : err({
    kind: "refused_at_start",
    file: path,
    message: `${refused}\n${path} was not changed.`,
  });
}

/**
 * The existing name (as spelled) `alias` may point to, or why it may not be added: it exists,
 * hides another name, or `target` names nothing.
 */
function aliasTarget(
  config: ChannelsConfig,
  lower: string,
  target: string,
  path: string,
): Result<string, { kind: ChannelsWriteErrorKind; message: string }> {
  const existing = [...config.aliases].find(([a]) => nameKey(a) === nameKey(lower));
  if (existing !== undefined) {
    return err({
      kind: "name_taken",
      message: `the alias ${JSON.stringify(existing[0])} already exists (it points to ` +
        `${JSON.stringify(existing[1])}): choose another alias, or edit ${path} by ` +
        "hand to change it. Nothing was written.",
    });
  }
  const clash = findNameClash(config, lower);
  if (clash !== undefined) {
    return err({
      kind: "name_taken",
      message: `${JSON.stringify(lower)} is already the name of ${clash}; an alias must not hide ` +
        `another name: choose another alias. ${path} was not changed.`,
    });
  }
  const canonical = [
    ...config.groups.keys(),
    ...config.privateGroups.keys(),
    ...config.lists.keys(),
    ...config.whitelist,
  ].find((name) => nameKey(name) === nameKey(target));
  if (canonical === undefined) {
    return err({
      kind: "invalid_request",
      message:
        `cannot add alias ${JSON.stringify(lower)}: ${JSON.stringify(target)} is neither a ` +
        `group nor a whitelisted channel. ${path} was not changed.`,
    });
  }
  return ok(canonical);
}

/** `config` with groups added to `field`, and the rules of those that have some. */
function withGroups(
  config: ChannelsConfig,
  field: "groups" | "privateGroups",
  entries: [string, string[]][],
  defs: readonly GroupDefinition[],
): ChannelsConfig {
  const rules = defs.flatMap((d) =>
    d.rules === undefined ? [] : [[nameKey(d.name), d.rules] as const]
  );
  return {
    ...config,
    [field]: new Map([...config[field], ...entries]),
    ...(rules.length === 0 ? {} : { rules: new Map([...(config.rules ?? []), ...rules]) }),
  };
}

/** A group with rules as channels.toml gets it: `{ channels = [...], senders = [...], ... }`. */
function inlineGroup(channels: readonly string[], rules: AudienceRules): InlineTable {
  return {
    inline: [
      ["channels", channels],
      ...(rules.senders === undefined ? [] : [["senders", rules.senders] as const]),
      ...(rules.approvers.length === 0 ? [] : [
        ["approvers", rules.approvers] as const,
        ["approvals", rules.approvals] as const,
      ]),
    ],
  };
}

/** Why a group or list to add is invalid (its name, its values), or undefined. */
function entryProblem(
  what: "group" | "list",
  def: { name: string; values: readonly string[] },
): string | undefined {
  if (what === "list") {
    return listNameProblem(def.name) ??
      (def.values.length === 0 ? "it names nobody" : undefined) ??
      def.values.map(listEntryProblem).find((p) => p !== undefined);
  }
  return groupNameProblem(def.name) ??
    (def.values.length === 0 ? "it has no channel ids" : undefined) ??
    def.values.map((id) => {
      const p = groupChannelProblem(id);
      return p && `${JSON.stringify(id)} is not a channel id (${p}) nor a channel name`;
    }).find((p) => p !== undefined);
}

/** Replaces the file atomically: `<path>.tmp` written, synced, renamed over it. */
async function writeAtomically(
  fs: ChannelsStoreFs,
  path: string,
  text: string,
): Promise<Result<void, ChannelsWriteError>> {
  const tmp = `${path}.tmp`;
  try {
    const mode = await fs.fileMode(path);
    await fs.writeAndSync(tmp, new TextEncoder().encode(text), mode);
    await fs.rename(tmp, path);
    return ok(undefined);
  } catch (e) {
    try {
      await fs.removeFile(tmp);
    } catch {
      // Already gone, or never created.
    }
    return err({
      kind: "write_failed",
      file: path,
      message: `could not write ${path}: ${messageOf(e)}. The file was not changed. Check that ` +
        `the bot may create and write ${tmp} and ${path} (permissions, free disk ` +
        "space), then try again.",
    });
  }
}

async function readState(
  path: string,
  fs: ChannelsStoreFs,
): Promise<Result<DiskState, ChannelsFileError>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return ok({ text: "", config: EMPTY_CHANNELS_CONFIG, missing: true });
    }
    return err(channelsFileError(
      path,
      `cannot read the file: ${messageOf(e)}. Check that it is a file the bot may read.`,
    ));
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return err(channelsFileError(
      path,
      "the file is not valid UTF-8 text; save it as UTF-8 in your editor.",
    ));
  }
  const config = parseChannelsToml(text, path);
  return config.ok ? ok({ text, config: config.value, missing: false }) : config;
}
