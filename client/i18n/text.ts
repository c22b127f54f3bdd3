// What the page shows, as a catalogue key and its parameters, never as a sentence: the owner of a message
// says which one it is, the Ui words it in the page's language when it draws it (and again after a switch).

import type { MessageKey } from "./en.js";
import type { Translate } from "./translator.js";

/** A parameter: a value shown as it is (a name, a number, a detail from the browser), or a text of its own. */
export type TextParam = string | number | Text;

export interface Text {
  readonly key: MessageKey;
  readonly params?: Readonly<Record<string, TextParam>>;
}

export function text(key: MessageKey, params?: Readonly<Record<string, TextParam>>): Text {
  return params ? { key, params } : { key };
}

/** The text in `t`'s language, its nested texts worded first. */
export function render(t: Translate, shown: Text): string {
  if (!shown.params) return t(shown.key);
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(shown.params)) params[name] = typeof value === "object" ? render(t, value) : value;
  return t(shown.key, params);
}

/** An error's own words, as a parameter (browsers' messages are not translated). */
export function errorDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
