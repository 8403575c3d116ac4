/**
 * The language of a page: the user's own choice, else the browser's Accept-Language (the
 * first of ours by preference), else English. Strings are looked up by key in one table per
 * language; `{name}` placeholders are filled from `vars`.
 */
import { en, type StringKey } from "./en";
import { ru } from "./ru";

export const LOCALES = { en, ru } as const;
export type Locale = keyof typeof LOCALES;

export const isLocale = (value: unknown): value is Locale => typeof value === "string" && Object.hasOwn(LOCALES, value);

export const localeFromAcceptLanguage = (header: string | undefined): Locale => {
  const ranked = (header ?? "")
    .split(",")
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { lang: (tag ?? "").split("-")[0]!, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.find((l) => isLocale(l.lang))?.lang as Locale | undefined ?? "en";
};

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

export const translator = (locale: Locale): Translate => (key, vars) => {
  const text: string = LOCALES[locale][key] ?? en[key];
  return vars ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole)) : text;
};
