// The sizes both sides of the signaling protocol hold to (docs/protocol.md, reliability.md).

/** The largest signaling frame, in UTF-8 bytes; a larger one is answered with `too-large`. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** An SDP blob (offer or answer), in characters: a browser's offer with one audio and one video section is a few KB. */
export const MAX_SDP_CHARS = 60_000;

/** A display name after cleaning, in UTF-16 code units (what `String.length` counts, never more lenient than a byte count). */
export const MAX_NAME_LENGTH = 40;

/** A participant id as a client may name one (`signal.to`); the server's own are 8 characters. */
export const MAX_ID_LENGTH = 64;

/** A resume key as a client may send one; the server's are 43 characters (32 random bytes, base64url). */
export const MAX_RESUME_KEY_LENGTH = 128;

const encoder = new TextEncoder();

/** Whether `text` is over MAX_MESSAGE_BYTES in UTF-8, without encoding the frames that are plainly small or plainly large. */
export function exceedsMessageLimit(text: string): boolean {
  // UTF-8 takes 1 to 3 bytes per UTF-16 code unit (4 per surrogate pair).
  if (text.length > MAX_MESSAGE_BYTES) return true;
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return false;
  return encoder.encode(text).length > MAX_MESSAGE_BYTES;
}

/** A join token's length: a few hundred characters in practice; far more is not a token this server minted. */
export const MAX_TOKEN_CHARS = 4096;

/** A `display` box's side in CSS pixels: beyond any screen, small enough that nothing downstream overflows. */
export const MAX_DISPLAY_CSS_PX = 16_384;

/** A `display` message's devicePixelRatio at most (phones report up to about 4; zoomed pages more). */
export const MAX_PIXEL_RATIO = 8;
