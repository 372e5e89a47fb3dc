import { useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post, setCsrfToken } from './api';
import type { Me, SessionView } from './types';

export const SESSION_KEY = ['session'] as const;

/** Where the browser stands: setup pending, signed out, half signed in (2FA), or signed in. */
async function loadSession(): Promise<SessionView> {
  const setup = await get<{ needed: boolean; tokenRequired: boolean }>('/api/setup');
  if (setup.needed) return { kind: 'setup', tokenRequired: setup.tokenRequired };
  const { state } = await get<{ state: 'anonymous' | 'pending_2fa' | 'signed_in' }>('/api/auth/session');
  if (state === 'anonymous') return { kind: 'anonymous' };
  if (state === 'pending_2fa') return { kind: 'pending_2fa' };
  const me = await get<Me>('/api/me');
  setCsrfToken(me.csrfToken);
  return { kind: 'user', me };
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: loadSession, staleTime: 60_000, retry: false });
}

export function useMe(): Me {
  const { data } = useSession();
  if (data?.kind !== 'user') throw new Error('useMe outside a signed-in page');
  return data.me;
}

/** Signs out and forgets every cached answer, so nothing of this user stays in memory. */
export function useLogout() {
  const client = useQueryClient();
  return async () => {
    try {
      await post('/api/auth/logout');
    } finally {
      setCsrfToken(null);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
      await client.resetQueries({ queryKey: SESSION_KEY });
    }
  };
}
