/**
 * Message attachments (`props.attachments`) as the server keeps them: decoded through Go's
 * `model.SlackAttachment` (model.Post.Attachments), so what is stored and served is that
 * struct's JSON -- every field present, unknown keys gone, an attachment with a field of the
 * wrong type dropped whole, an empty list `null`; action ids generated when missing
 * (Post.GenerateActionIds); and `integration` (URL and context) removed from every post handed
 * to a client (Post.StripActionIntegrations).
 */

import { newId } from "./ids.ts";

/** An interactive element of an attachment (model.PostAction JSON). */
export interface PostAction {
  id?: string;
  type?: string;
  name?: string;
  disabled?: boolean;
  style?: string;
  data_source?: string;
  options?: ({ text: string; value: string } | null)[];
  default_option?: string;
  integration?: { url?: string; context?: Record<string, unknown> };
  cookie?: string;
}

/** Thrown inside the decoder: the value does not fit the Go type (json.Unmarshal fails). */
class Misfit extends Error {}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A Go `string` field: a string, or null/absent for "". */
function str(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new Misfit();
  return v;
}

/** A Go `bool` field. */
function bool(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new Misfit();
  return v;
}

/** model.SlackCompatibleBool: true/false or the strings "true"/"false" (any case); not null. */
function slackBool(v: unknown): boolean {
  if (v === undefined) return false;
  const text = typeof v === "string" ? v.toLowerCase() : v;
  if (text === true || text === "true") return true;
  if (text === false || text === "false") return false;
  throw new Misfit();
}

/** A Go slice: an array, or null/absent for nil. */
function list(v: unknown): unknown[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new Misfit();
  return v;
}

/** A Go struct pointer or struct: an object, or null. */
function obj(v: unknown): Json | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new Misfit();
  return v;
}

function decodeAction(raw: Json): PostAction {
  const action: PostAction = {};
  const put = (key: keyof PostAction, value: string) => {
    if (value !== "") (action as Record<string, unknown>)[key] = value;
  };
  put("id", str(raw.id));
  put("type", str(raw.type));
  put("name", str(raw.name));
  if (bool(raw.disabled)) action.disabled = true;
  put("style", str(raw.style));
  put("data_source", str(raw.data_source));
  const options = list(raw.options);
  if (options !== null && options.length > 0) {
    action.options = options.map((o) => {
      const opt = obj(o);
      return opt === null ? null : { text: str(opt.text), value: str(opt.value) };
    });
  }
  put("default_option", str(raw.default_option));
  const integration = obj(raw.integration);
  if (integration !== null) {
    const url = str(integration.url);
    const context = obj(integration.context);
    action.integration = {
      ...(url !== "" ? { url } : {}),
      ...(context !== null && Object.keys(context).length > 0 ? { context } : {}),
    };
  }
  put("cookie", str(raw.cookie));
  return action;
}

/** One attachment through model.SlackAttachment; throws Misfit when json.Unmarshal would fail. */
function decodeAttachment(raw: Json): Json {
  const id = raw.id ?? 0;
  if (typeof id !== "number" || !Number.isInteger(id)) throw new Misfit();
  const out: Json = { id };
  for (const key of ["fallback", "color", "pretext", "author_name", "author_link", "author_icon"]) {
    out[key] = str(raw[key]);
  }
  for (const key of ["title", "title_link", "text"]) out[key] = str(raw[key]);
  const fields = list(raw.fields);
  out.fields = fields === null ? null : fields.map(obj).filter((f) => f !== null).map((f) => ({
    title: str(f.title),
    value: f.value ?? null,
    short: slackBool(f.short),
  }));
  for (const key of ["image_url", "thumb_url", "footer", "footer_icon"]) out[key] = str(raw[key]);
  out.ts = raw.ts ?? null;
  const actions = (list(raw.actions) ?? []).map(obj).filter((a) => a !== null).map(decodeAction);
  if (actions.length > 0) out.actions = actions;
  return out;
}

/**
 * model.Post.Attachments: the attachments that decode (a non-array value, or one that does
 * not decode, gives none), as their Go JSON; `null` when there are none.
 */
export function decodeAttachments(raw: unknown): Json[] | null {
  if (!Array.isArray(raw)) return null;
  const out: Json[] = [];
  for (const item of raw) {
    if (item !== null && !isObject(item)) continue;
    try {
      out.push(decodeAttachment(structuredClone(item ?? {})));
    } catch (e) {
      if (!(e instanceof Misfit)) throw e;
    }
  }
  return out.length > 0 ? out : null;
}

function actionsOf(attachments: Json[] | null): PostAction[] {
  return (attachments ?? []).flatMap((a) => (a.actions as PostAction[] | undefined) ?? []);
}

/**
 * Post.PreCommit's GenerateActionIds, on a props object about to be saved: a present,
 * non-null `attachments` is replaced by its decoded form, and every action without an id
 * gets one. Returns the props (changed in place).
 */
export function withActionIds(props: Json): Json {
  if (props.attachments === undefined || props.attachments === null) return props;
  const attachments = decodeAttachments(props.attachments);
  for (const action of actionsOf(attachments)) if (!action.id) action.id = newId();
  props.attachments = attachments;
  return props;
}

/**
 * Post.StripActionIntegrations on a copy of stored props: what every client sees -- the
 * decoded attachments without any action's `integration`.
 */
export function strippedProps(props: Json): Json {
  const copy = structuredClone(props);
  if (copy.attachments === undefined || copy.attachments === null) return copy;
  const attachments = decodeAttachments(copy.attachments);
  for (const action of actionsOf(attachments)) delete action.integration;
  copy.attachments = attachments;
  return copy;
}

/** Post.GetAction: the first action with that id among the stored props' attachments. */
export function findAction(props: Json, actionId: string): PostAction | undefined {
  return actionsOf(decodeAttachments(props.attachments)).find((a) => a.id === actionId);
}

/** Post.AttachmentsEqual, by the decoded JSON of both sides. */
export function sameAttachments(a: Json, b: Json): boolean {
  return JSON.stringify(decodeAttachments(a.attachments)) ===
    JSON.stringify(decodeAttachments(b.attachments));
}
