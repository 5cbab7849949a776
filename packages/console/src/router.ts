import { createRouter, createWebHistory } from 'vue-router';
import SignIn from './pages/SignInPage.vue';
import { useSession } from './stores/session';

/**
 * Who may open a page, checked before it loads: `super` pages are a platform admin's,
 * tenant pages (`/tenants/:tenant/...`) need the admin of that tenant. Anyone else gets the
 * forbidden page at that URL. The server checks again on every call: this only saves a
 * round-trip and keeps the UI honest.
 */
declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    super?: boolean;
    tenantScoped?: boolean;
  }
}

// Every page but sign-in is its own chunk, loaded when first opened: the first load stays small.
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', redirect: '/overview' },
    { path: '/sign-in', component: SignIn, meta: { public: true } },
    { path: '/overview', component: () => import('./pages/OverviewPage.vue') },
    { path: '/services', component: () => import('./pages/ServicesPage.vue') },
    { path: '/routes', component: () => import('./pages/RoutesPage.vue'), meta: { super: true } },
    { path: '/tenants', component: () => import('./pages/TenantsPage.vue') },
    {
      path: '/tenants/:tenant/users',
      component: () => import('./pages/UsersPage.vue'),
      props: true,
      meta: { tenantScoped: true },
    },
    {
      path: '/tenants/:tenant/roles',
      component: () => import('./pages/RolesPage.vue'),
      props: true,
      meta: { tenantScoped: true },
    },
    {
      path: '/tenants/:tenant/credentials',
      component: () => import('./pages/CredentialsPage.vue'),
      props: true,
      meta: { tenantScoped: true },
    },
    {
      path: '/tenants/:tenant/config',
      component: () => import('./pages/ConfigPage.vue'),
      props: true,
      meta: { tenantScoped: true },
    },
    { path: '/audit', component: () => import('./pages/AuditPage.vue') },
    { path: '/keys', component: () => import('./pages/KeysPage.vue'), meta: { super: true } },
    { path: '/forbidden', component: () => import('./pages/ForbiddenPage.vue') },
    { path: '/:rest(.*)*', redirect: '/overview' },
  ],
});

router.beforeEach(async (to) => {
  const session = useSession();
  if (!session.checked) await session.load();
  if (!to.meta.public && !session.principal) return { path: '/sign-in', query: { next: to.fullPath } };
  if (to.path === '/sign-in' && session.principal) return '/overview';
  if (to.meta.super && !session.isSuperAdmin()) return { path: '/forbidden', query: { from: to.fullPath } };
  if (to.meta.tenantScoped && !session.isSuperAdmin() && to.params.tenant !== session.principal?.tenant) {
    return { path: '/forbidden', query: { from: to.fullPath } };
  }
  return true;
});
