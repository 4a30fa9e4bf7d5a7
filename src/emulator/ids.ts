/**
 * Mattermost-style identifiers: 26 lowercase characters, the base32 encoding of 16 random
 * bytes with Mattermost's own alphabet (model.NewId in server/public/model/utils.go).
 */

const ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769";

/** A fresh 26-character id, shaped like every id the real server hands out (users, posts, files, tokens, connection ids). */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The server's model.IsValidId: exactly 26 letters or digits. Path ids that fail it get a 400. */
export function isValidId(value: string): boolean {
  return /^[A-Za-z0-9]{26}$/.test(value);
}
