import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { ACCOUNTS_KEY } from '../live-sync';
import type { Account } from '../types';

/** The account list as the accounts page reads it (same query, shared cache). */
export function useAccounts() {
  return useQuery({ queryKey: ACCOUNTS_KEY, queryFn: () => get<{ items: Account[] }>('/api/accounts'), select: (d) => d.items });
}
