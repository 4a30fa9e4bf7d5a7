/**
 * Uploaded files: POST /files as the server checks it (upload_file permission, MaxFileSize),
 * the MIME type it derives from the name, and attaching files to a post the way
 * attachFilesToPost does: only the poster's own unattached files, the others dropped silently.
 */

import { AppError, permissionError } from "./http.ts";
import { newId } from "./ids.ts";
import { canUploadFile } from "./permissions.ts";
import type { FileInfoRecord, PostRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Default FileSettings.MaxFileSize. */
export const DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024;

/** An uploaded part: file name, bytes, optional declared MIME type. */
export interface UploadPart {
  name: string;
  bytes: Uint8Array;
  mime?: string;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  bmp: "image/bmp",
  pdf: "application/pdf",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  html: "text/html; charset=utf-8",
  xml: "text/xml; charset=utf-8",
  zip: "application/zip",
  gz: "application/gzip",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** Uploads and attachments. */
export class FileStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #maxFileSize: number;

  /** A store over the shared tables that refuses parts larger than `maxFileSize` bytes. */
  constructor(tables: Tables, events: StoreEvents, maxFileSize: number) {
    this.#tables = tables;
    this.#events = events;
    this.#maxFileSize = maxFileSize;
  }

  /**
   * POST /files: upload_file permission on the channel (membership), then each part is
   * refused with 413 when larger than MaxFileSize. Files start unattached.
   */
  submitFiles(userId: string, channelId: string, parts: UploadPart[]): FileInfoRecord[] {
    if (!canUploadFile(this.#tables, userId, channelId)) throw permissionError();
    for (const part of parts) {
      if (part.bytes.byteLength > this.#maxFileSize) {
        throw new AppError("api.file.upload_file.too_large_detailed.app_error", 413, {
          Filename: part.name,
          Length: part.bytes.byteLength,
          Limit: this.#maxFileSize,
        });
      }
    }
    const infos = parts.map((part) => {
      const info = fileInfo(userId, channelId, part);
      this.#tables.files.set(info.id, { info, bytes: part.bytes.slice() });
      return info;
    });
    this.#events.changed();
    return infos;
  }

  /** attachFilesToPost: only the poster's unattached files; the others are dropped silently. */
  attach(post: PostRecord, fileIds: readonly string[]): void {
    for (const id of fileIds) {
      const file = this.#tables.files.get(id);
      if (!file || file.info.post_id || file.info.user_id !== post.user_id) continue;
      file.info.post_id = post.id;
      file.info.channel_id = post.channel_id;
      post.file_ids.push(id);
    }
  }
}

/** A new, unattached file's metadata: the base name, its extension and MIME type. */
function fileInfo(userId: string, channelId: string, part: UploadPart): FileInfoRecord {
  const now = Date.now();
  const base = part.name.split(/[\\/]/).pop() ?? part.name;
  const dot = base.lastIndexOf(".");
  const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
  return {
    id: newId(),
    user_id: userId,
    channel_id: channelId,
    create_at: now,
    update_at: now,
    delete_at: 0,
    name: base,
    extension,
    size: part.bytes.byteLength,
    mime_type: part.mime ?? MIME_BY_EXTENSION[extension] ?? "",
    mini_preview: null,
    remote_id: "",
    archived: false,
  };
}
