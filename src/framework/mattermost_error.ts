/**
 * One error type for everything that can go wrong talking to Mattermost, carrying what a
 * caller needs to decide (retry or not) and what a person needs to read.
 *
 * @module
 */

/** Why a request failed. */
export type MattermostErrorKind =
  /** The server answered with an error status other than 429. */
  | "http"
  /** The request never got an answer (connection refused, reset, DNS, TLS). */
  | "network"
  /** No answer within the request timeout. */
  | "timeout"
  /** Still rate limited (429) after the allowed number of attempts. */
  | "rate_limited";

/** A failed Mattermost request. `status` is 0 when no HTTP answer arrived. */
export class MattermostError extends Error {
  readonly kind: MattermostErrorKind;
  readonly status: number;
  /** The server's error id, e.g. `api.context.permissions.app_error`. */
  readonly serverErrorId: string | undefined;
  /** How many times the request was sent. */
  readonly attempts: number;
  /** The request's method and path (no host, no query), for logs. */
  readonly route: string;

  constructor(
    fields: {
      kind: MattermostErrorKind;
      status: number;
      message: string;
      serverErrorId?: string;
      attempts: number;
      route: string;
    },
  ) {
    super(fields.message);
    this.name = "MattermostError";
    this.kind = fields.kind;
    this.status = fields.status;
    this.serverErrorId = fields.serverErrorId;
    this.attempts = fields.attempts;
    this.route = fields.route;
  }

  /** Whether sending the same request again later may succeed. */
  get transient(): boolean {
    return this.kind !== "http" || this.status >= 500;
  }
}

/** True when `e` is a {@link MattermostError} with one of the given statuses. */
export function isStatus(e: unknown, ...statuses: number[]): e is MattermostError {
  return e instanceof MattermostError && statuses.includes(e.status);
}
