import assert from "node:assert/strict";
import { AppError, errorResponse, invalidUrlParam, textResponse } from "./http.ts";

Deno.test("AppError renders the message template and the server's JSON body", async () => {
  const error = invalidUrlParam("channel_id");
  assert.equal(error.message, "Invalid or missing channel_id parameter in request URL.");
  const response = errorResponse(error, "req1");
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.deepEqual(await response.json(), {
    id: "api.context.invalid_url_param.app_error",
    message: "Invalid or missing channel_id parameter in request URL.",
    detailed_error: "",
    request_id: "req1",
    status_code: 400,
  });
});

Deno.test("unknown ids fall back to the id as message", () => {
  assert.equal(new AppError("some.unknown.id", 500).message, "some.unknown.id");
});

Deno.test("textResponse is plain text like Go's http.Error", async () => {
  const response = textResponse(429, "limit exceeded\n");
  assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await response.text(), "limit exceeded\n");
});
