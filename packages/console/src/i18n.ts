import { createI18n } from 'vue-i18n';

const en = {
  app: 'Portico console',
  nav: { overview: 'Overview', services: 'Services', tenants: 'Tenants' },
  signIn: {
    title: 'Sign in',
    tenant: 'Tenant',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    out: 'Sign out',
    failed: 'Sign-in failed',
  },
  overview: { services: 'Services', instances: 'Instances', live: 'Live', offline: 'Reconnecting' },
  services: {
    search: 'Filter instances',
    service: 'Service',
    instance: 'Instance',
    address: 'Address',
    version: 'Version',
    status: 'Status',
    lease: 'Lease expires',
    empty: 'No instances',
    count: '{shown} of {total} instances',
  },
  tenants: {
    create: 'Create tenant',
    name: 'Name',
    displayName: 'Display name',
    status: 'Status',
    services: 'Enabled services',
    created: 'Tenant created',
  },
  theme: { dark: 'Dark theme' },
  language: 'Language',
};

const zh: typeof en = {
  app: 'Portico 控制台',
  nav: { overview: '概览', services: '服务', tenants: '租户' },
  signIn: {
    title: '登录',
    tenant: '租户',
    username: '用户名',
    password: '密码',
    submit: '登录',
    out: '退出登录',
    failed: '登录失败',
  },
  overview: { services: '服务', instances: '实例', live: '实时', offline: '重新连接中' },
  services: {
    search: '筛选实例',
    service: '服务',
    instance: '实例',
    address: '地址',
    version: '版本',
    status: '状态',
    lease: '租约到期',
    empty: '没有实例',
    count: '共 {total} 个实例，显示 {shown} 个',
  },
  tenants: {
    create: '创建租户',
    name: '名称',
    displayName: '显示名称',
    status: '状态',
    services: '启用的服务',
    created: '租户已创建',
  },
  theme: { dark: '深色主题' },
  language: '语言',
};

/** English and Chinese, switchable at run time; `?lang=zh` picks Chinese on load (screenshots use it). */
export const i18n = createI18n({
  legacy: false,
  locale: new URLSearchParams(location.search).get('lang') === 'zh' ? 'zh' : 'en',
  fallbackLocale: 'en',
  messages: { en, zh },
});
