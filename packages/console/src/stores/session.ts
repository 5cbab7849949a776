import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, setCsrf } from '../api';

/** Who is signed in, as `/console/session` says; the cookie itself is HttpOnly and never seen here. */
export interface SessionPrincipal {
  tenant: string;
  subject: string;
  username: string | null;
  roles: string[];
}

export const useSession = defineStore('session', () => {
  const principal = ref<SessionPrincipal | null>(null);
  const checked = ref(false);

  async function load(): Promise<void> {
    try {
      const data = await api<{ csrf: string; principal: SessionPrincipal }>('GET', '/console/session');
      setCsrf(data.csrf);
      principal.value = data.principal;
    } catch {
      principal.value = null;
    }
    checked.value = true;
  }

  async function signIn(tenant: string, username: string, password: string): Promise<void> {
    const data = await api<{ csrf: string; principal: SessionPrincipal }>('POST', '/console/session', {
      tenant,
      username,
      password,
    });
    setCsrf(data.csrf);
    principal.value = data.principal;
  }

  async function signOut(): Promise<void> {
    await api('DELETE', '/console/session');
    setCsrf('');
    principal.value = null;
  }

  const isSuperAdmin = () => principal.value?.tenant === 'platform' && principal.value.roles.includes('super_admin');
  return { principal, checked, load, signIn, signOut, isSuperAdmin };
});
