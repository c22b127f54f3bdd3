/**
 * Display names as other people see them: on every tile, in every roster, in recording timelines. A
 * name is cleaned so that what is shown is what was typed, with nothing hidden in it: no characters
 * that reorder the text around them (bidirectional overrides could make "Ada" render as "adA", or flip
 * the roster line it sits in), none that are invisible (so "Ada" and "A\u200bda" cannot pose as the same
 * person, and nobody can join as a blank), none that are not text at all (controls, lone surrogates).
 */
// Shared: the server cleans every `join.name` with it, and the page checks a name the same way before it joins.

import { MAX_NAME_LENGTH } from "./limits.js";
import * as z from "./zod.js";

export type DisplayNameResult = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly problem: string };

// Controls, format characters (bidi controls, zero-width spaces and joiners, the soft hyphen, tags, the
// BOM) and the rest of Unicode's default-ignorable set, which renderers draw as nothing: the Hangul
// fillers (U+3164 is the classic "blank name"), variation selectors, U+034F and so on.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const WHITE_SPACE = /\p{White_Space}/u;
// Spaces that are not plain spaces between words: line and paragraph breaks, and controls (tab, newline).
const BREAKING_SPACE = /[\p{Zl}\p{Zp}\p{Cc}]/u;
// Something a reader can see: a letter, digit, punctuation or symbol (U+2800, the blank Braille
// pattern, is a symbol that draws nothing).
const VISIBLE = /(?!\u2800)[\p{L}\p{N}\p{P}\p{S}]/u;
const EMOJI = /\p{Extended_Pictographic}/u;
const LONE_SURROGATE = /\p{Cs}/u;

const ZWJ = 0x200d;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
const isTag = (cp: number) => cp >= 0xe0020 && cp <= 0xe007e;
const isVariationSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
const isSkinTone = (cp: number) => cp >= 0x1f3fb && cp <= 0x1f3ff;

/**
 * NFC, without invisible and control characters (ZWJ between emoji, tags in a flag sequence and
 * variation selectors after a visible character are kept: they are part of what is drawn), with each
 * run of spaces made one and the ends trimmed. Refused: lone surrogates (not text), and names with
 * nothing visible left.
 */
export function cleanDisplayName(raw: string): DisplayNameResult {
  if (LONE_SURROGATE.test(raw)) return { ok: false, problem: "name contains a lone UTF-16 surrogate, which is not text" };
  const cps = Array.from(raw.normalize("NFC"), (c) => c.codePointAt(0)!);
  const out: number[] = [];
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i];
    const c = String.fromCodePoint(cp);
    if (WHITE_SPACE.test(c)) {
      // A run of spaces becomes its first one (an ideographic space stays one); line breaks and tabs a plain space.
      if (out.length > 0 && WHITE_SPACE.test(String.fromCodePoint(out[out.length - 1]))) continue;
      out.push(BREAKING_SPACE.test(c) ? 0x20 : cp);
    } else if (!INVISIBLE.test(c) || keepsInvisible(cps, i, out)) {
      out.push(cp);
    }
  }
  const name = String.fromCodePoint(...out).trim();
  if (name.length === 0) {
    // Not raw.trim(): it drops U+FEFF too, and a name of only BOMs is invisible, not empty.
    const hadSomething = /\P{White_Space}/u.test(raw);
    return {
      ok: false,
      problem: hadSomething
        ? "name must have visible characters: it is only invisible, control or formatting characters"
        : "name must not be empty",
    };
  }
  if (!VISIBLE.test(name)) return { ok: false, problem: "name must have visible characters: it is only spaces, marks or blank symbols" };
  return { ok: true, name };
}

/** The invisible characters that are part of a visible one: emoji sequences and variation selectors. */
function keepsInvisible(cps: readonly number[], i: number, out: readonly number[]): boolean {
  const cp = cps[i];
  if (cp === ZWJ) return endsWithEmoji(out) && i + 1 < cps.length && EMOJI.test(String.fromCodePoint(cps[i + 1]));
  if (isTag(cp) || cp === CANCEL_TAG) return inFlagTagSequence(cps, i);
  if (isVariationSelector(cp)) {
    const prev = out[out.length - 1];
    return prev !== undefined && !isVariationSelector(prev) && VISIBLE.test(String.fromCodePoint(prev));
  }
  return false;
}

function endsWithEmoji(out: readonly number[]): boolean {
  let j = out.length - 1;
  // The emoji before a joiner may carry a presentation selector or a skin tone.
  while (j >= 0 && (isVariationSelector(out[j]) || isSkinTone(out[j]))) j--;
  return j >= 0 && EMOJI.test(String.fromCodePoint(out[j]));
}

/** A subdivision flag: U+1F3F4, then tag letters, then CANCEL TAG (e.g. England's flag). */
function inFlagTagSequence(cps: readonly number[], i: number): boolean {
  let start = i;
  while (start > 0 && isTag(cps[start - 1])) start--;
  if (start === 0 || cps[start - 1] !== BLACK_FLAG) return false;
  let end = i;
  while (end < cps.length && isTag(cps[end])) end++;
  return end < cps.length && cps[end] === CANCEL_TAG && end > start;
}

/** A `join.name`: cleaned (the schema's output is the name everyone sees), then at most MAX_NAME_LENGTH long. */
export const displayNameSchema = z.pipe(
  z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const cleaned = cleanDisplayName(raw);
      if (cleaned.ok) return cleaned.name;
      ctx.issues.push({ code: "custom", message: cleaned.problem, input: raw });
      return z.NEVER;
    }),
  ),
  z.string().check(z.maxLength(MAX_NAME_LENGTH, `name must be at most ${MAX_NAME_LENGTH} characters`)),
);
