// Which language the page speaks, and its strings. One Translator per page (made in main.ts).

import { en, type MessageKey, type Messages } from "./en.js";
import { ko } from "./ko.js";

export const LANGUAGES = ["en", "ko"] as const;
export type Language = (typeof LANGUAGES)[number];

const CATALOGS: Readonly<Record<Language, Messages>> = { en, ko };

export function isLanguage(value: string | null | undefined): value is Language {
  return (LANGUAGES as readonly string[]).includes(value ?? "");
}

/**
 * The page's language: an explicit choice (the `lang` URL parameter, then the saved switch), else the first of
 * the browser's languages (navigator.languages) that we have, matched on the primary subtag ("ko-KR" → ko), else English.
 */
export function pickLanguage(browser: readonly string[], ...explicit: (string | null | undefined)[]): Language {
  for (const choice of explicit) if (isLanguage(choice)) return choice;
  for (const tag of browser) {
    const primary = tag.toLowerCase().split("-")[0];
    if (isLanguage(primary)) return primary;
  }
  return "en";
}

export type Params = Readonly<Record<string, string | number>>;

/** Fills `{name}` placeholders; an unknown placeholder stays as written, so a mistake shows instead of vanishing. */
export function format(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

export type Translate = (key: MessageKey, params?: Params) => string;

export class Translator {
  constructor(private current: Language) {}

  get language(): Language {
    return this.current;
  }

  set language(language: Language) {
    this.current = language;
  }

  /** A key without text in the language is a mistake in the page: it throws (tests catch it), never shows English. */
  readonly t: Translate = (key, params) => {
    const template: string | undefined = CATALOGS[this.current][key];
    if (template === undefined) throw new Error(`tessera: no ${this.current} text for the key "${key}"`);
    return format(template, params);
  };

  /**
   * Static page text: `data-i18n` (textContent), `data-i18n-placeholder`, `data-i18n-title`, `data-i18n-aria-label`
   * name a key. Called at start and after each switch; dynamic text is redrawn by its owner.
   */
  apply(root: ParentNode & { documentElement?: HTMLElement }): void {
    const attrs: [string, string | null][] = [
      ["data-i18n", null],
      ["data-i18n-placeholder", "placeholder"],
      ["data-i18n-title", "title"],
      ["data-i18n-aria-label", "aria-label"],
    ];
    for (const [data, target] of attrs) {
      for (const element of root.querySelectorAll<HTMLElement>(`[${data}]`)) {
        // A key without text throws, as in t(): client/i18n/translator.test.ts checks index.html's keys.
        const text = this.t(element.getAttribute(data) as MessageKey);
        if (target === null) element.textContent = text;
        else element.setAttribute(target, text);
      }
    }
  }
}

export type { MessageKey };
