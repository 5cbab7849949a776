import { createI18n } from 'vue-i18n';
import { en } from './i18n/en';
import { zh } from './i18n/zh';

/** English and Chinese, switchable at run time; `?lang=zh` picks Chinese on load (screenshots use it). */
export const i18n = createI18n({
  legacy: false,
  locale: new URLSearchParams(location.search).get('lang') === 'zh' ? 'zh' : 'en',
  fallbackLocale: 'en',
  messages: { en, zh },
});
