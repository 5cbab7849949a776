import { createRouter, createWebHistory } from 'vue-router';
import Overview from './pages/OverviewPage.vue';
import Services from './pages/ServicesPage.vue';
import SignIn from './pages/SignInPage.vue';
import Tenants from './pages/TenantsPage.vue';
import { useSession } from './stores/session';

/** The console's pages; every one but sign-in needs a session (the server checks again on each call). */
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', redirect: '/overview' },
    { path: '/sign-in', component: SignIn, meta: { public: true } },
    { path: '/overview', component: Overview },
    { path: '/services', component: Services },
    { path: '/tenants', component: Tenants },
    { path: '/:rest(.*)*', redirect: '/overview' },
  ],
});

router.beforeEach(async (to) => {
  const session = useSession();
  if (!session.checked) await session.load();
  if (!to.meta.public && !session.principal) return { path: '/sign-in', query: { next: to.fullPath } };
  if (to.path === '/sign-in' && session.principal) return '/overview';
  return true;
});
