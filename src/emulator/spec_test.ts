/**
 * Conformance with the official OpenAPI spec (a copy in tests/fixtures/mattermost-api): every emulated route
 * exists in the spec with that method, and the objects the emulator returns carry the fields
 * the spec lists for them — all of them, except the ones the real server omits when empty.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { indexSpec, type SpecIndex } from "./openapi.ts";
import { routes } from "./routes.ts";
import { clientFor, withWorld } from "./testing.ts";

const SPEC_DIR = new URL("../../tests/fixtures/mattermost-api/", import.meta.url);

async function loadSpec(): Promise<SpecIndex> {
  const texts: string[] = [];
  for await (const entry of Deno.readDir(SPEC_DIR)) {
    if (entry.isFile && entry.name.endsWith(".yaml")) {
      texts.push(await Deno.readTextFile(new URL(entry.name, SPEC_DIR)));
    }
  }
  assert.ok(texts.length > 0, `no spec files found in ${SPEC_DIR}`);
  return indexSpec(texts);
}

/** Fields the bot relies on, per schema; each must be listed in the spec and present. */
const RELIED: Record<string, string[]> = {
  Post: ["id", "channel_id", "user_id", "message", "file_ids", "props", "create_at", "delete_at"],
  Channel: ["id", "name", "display_name", "type", "team_id", "create_at", "delete_at"],
  FileInfo: ["id", "user_id", "name", "size", "mime_type", "create_at", "delete_at"],
  User: ["id", "username", "create_at", "delete_at"],
  Team: ["id", "name", "display_name", "type", "create_at", "delete_at"],
};

/**
 * Spec-listed fields the real server leaves out of these particular objects, with why
 * (Go `omitempty` tags in server/public/model, or a spec typo).
 */
const OMITTED: Record<string, Record<string, string>> = {
  Post: { hashtag: "spec typo: the server's field is `hashtags`" },
  Channel: {},
  FileInfo: {
    width: "omitempty, 0 for non-images",
    height: "omitempty, 0 for non-images",
    has_preview_image: "omitempty, false for non-images",
  },
  User: {
    email_verified: "omitempty, false",
    last_picture_update: "omitempty, 0",
    failed_attempts: "omitempty, 0",
    mfa_active: "omitempty, false",
    terms_of_service_id: "omitempty, empty",
    terms_of_service_create_at: "omitempty, 0",
    props: "omitempty, empty",
  },
  Team: {},
};

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function checkObject(spec: SpecIndex, schemaName: string, object: Record<string, unknown>) {
  const schema = spec.schemas.get(schemaName);
  assert.ok(schema, `schema ${schemaName} missing from the spec`);
  for (const field of schema.required) {
    assert.ok(field in object, `${schemaName}.${field} is required by the spec`);
  }
  for (const field of RELIED[schemaName]) {
    assert.ok(schema.properties.has(field), `${schemaName}.${field} is not in the spec`);
    assert.ok(field in object, `${schemaName}.${field} missing from the emulator's object`);
    const declared = schema.properties.get(field);
    if (declared) assert.equal(jsonType(object[field]), declared, `${schemaName}.${field} type`);
  }
  for (const field of schema.properties.keys()) {
    if (field in OMITTED[schemaName]) {
      assert.equal(field in object, false, `${schemaName}.${field} is expected to be omitted`);
    } else {
      assert.ok(field in object, `${schemaName}.${field} (listed in the spec) is missing`);
    }
  }
}

Deno.test("every emulated route is in the spec with its method", async () => {
  const spec = await loadSpec();
  assert.ok(spec.operations.size > 200, "the spec index looks truncated");
  for (const route of routes) {
    assert.ok(
      spec.operations.has(`${route.method} ${route.path}`),
      `${route.method} ${route.path} is not in the OpenAPI spec`,
    );
  }
});

Deno.test("the spec reader finds schemas and their properties", async () => {
  const spec = await loadSpec();
  const post = spec.schemas.get("Post");
  assert.ok(post);
  assert.equal(post.properties.get("create_at"), "integer");
  assert.equal(post.properties.get("file_ids"), "array");
  assert.ok(spec.operations.has("POST /api/v4/posts"));
  assert.ok(spec.operations.has("GET /api/v4/users/{user_id}"));
});

Deno.test("emulator objects carry the spec's fields for Post, Channel, FileInfo, User, Team", async () => {
  const spec = await loadSpec();
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const form = new FormData();
    form.append("channel_id", w.town.id);
    form.append("files", new Blob(["hello"]), "hello.txt");
    const uploaded = await c.uploadFile(form);
    const fileId = uploaded.file_infos[0].id;
    const post = await c.createPost(
      { channel_id: w.town.id, message: "spec", file_ids: [fileId] } as Post,
    );
    checkObject(spec, "Post", post as unknown as Record<string, unknown>);
    for (
      const path of [
        `/channels/${w.town.id}`,
        `/files/${fileId}/info`,
        "/users/me",
        `/teams/${w.team.id}`,
      ]
    ) {
      const res = await fetch(`${w.emu.url}/api/v4${path}`, {
        headers: { Authorization: `Bearer ${w.bot.token}` },
      });
      assert.equal(res.status, 200, path);
      const body = await res.json();
      const schemaName = path.startsWith("/channels")
        ? "Channel"
        : path.startsWith("/files")
        ? "FileInfo"
        : path.startsWith("/users")
        ? "User"
        : "Team";
      checkObject(spec, schemaName, body);
    }
  });
});
