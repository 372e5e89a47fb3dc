import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { messages, type MessageKey } from './messages';
import type { Language } from './types';

const STORAGE_KEY = 'mailhelper.language';

/** The saved choice, else the browser's preference: German for any German locale, English otherwise. */
export function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'de' || saved === 'en') return saved;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'de' || base === 'en') return base;
  }
  return 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  formatTime: (ms: number | null | undefined) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(() => {
    const lang = initialLanguage();
    document.documentElement.lang = lang;
    return lang;
  });
  const setLanguage = useCallback((next: Language) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLanguageState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const table = messages[language];
    const dateFormat = new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
    return {
      language,
      setLanguage,
      t: (key, vars) => {
        let text = table[key] ?? key;
        if (vars) for (const [name, v] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, String(v));
        return text;
      },
      formatTime: (ms) => (ms ? dateFormat.format(new Date(ms)) : '—'),
    };
  }, [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

/** A user-facing message for an API error: our own text for known codes, else the server's. */
export function errorText(t: Translate, err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const key = `error.${err.code}` as MessageKey;
    if (key in messages.en) return t(key);
    if ('message' in err && typeof err.message === 'string') return err.message;
  }
  if (err instanceof TypeError) return t('error.network');
  return err instanceof Error ? err.message : String(err);
}
