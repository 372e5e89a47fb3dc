import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError, get, post } from '../api';

/** Shapes of the mail API (API.md). Fields other parts add later (tags, threads, pendingSync) are optional. */
export interface SummaryAnalysis {
  urgency: number | null;
  importance: number | null;
  score: number | null;
  colour: string | null;
  category: string | null;
  summary: string | null;
  source: string | null;
  status: string;
}

export interface MessageSummary {
  id: string;
  accountId: string;
  folder: string | null;
  folderIds?: string[];
  threadId?: string | null;
  from: { name?: string | null; address?: string | null } | null;
  subject: string | null;
  snippet?: string | null;
  date: number | null;
  unread: boolean;
  flagged: boolean;
  done: boolean;
  hasAttachments: boolean;
  isCalendar?: boolean;
  pendingSync?: boolean;
  syncError?: string | null;
  tags?: TagRef[];
  analysis: SummaryAnalysis | null;
}

export interface TagRef {
  id: string;
  name: string;
  colour?: string | null;
}

export interface DashboardCell {
  urgency: number;
  importance: number;
  score: number;
  colour: string;
  count: number;
  top: MessageSummary[];
}

export interface Reason {
  code: string;
  text: string;
}

export interface FullAnalysis extends SummaryAnalysis {
  isSpam: boolean | null;
  confidence: number | null;
  suggestedTags?: { key: string; tagId: string | null }[];
  reasons: Reason[];
  deadline: string | number | null;
  error: string | null;
}

export interface Address {
  name?: string | null;
  address?: string | null;
}

export interface Attachment {
  index: number;
  filename: string | null;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
}

/** A calendar time as the API gives it: an instant (or an all-day date) with the zone it was written in. */
export interface CalendarTime {
  at: string | null;
  date: string | null;
  allDay: boolean;
  timeZone: string | null;
}

export interface CalendarInfo {
  method?: string | null;
  summary?: string | null;
  start?: CalendarTime | string | null;
  end?: CalendarTime | string | null;
  location?: string | null;
  organizer?: Address | null;
  attendees?: (Address & { status?: string | null })[];
  /** The raw iCalendar text (before the parsed fields existed). */
  content?: string;
}

export interface MessageDetail {
  id: string;
  accountId: string;
  threadId?: string | null;
  folderIds: string[];
  date: number | null;
  headers: { subject?: string | null; from?: Address | null; to?: Address[]; cc?: Address[]; replyTo?: Address[]; date?: number | string | null };
  text: string | null;
  hasHtml: boolean;
  remoteImages?: number;
  calendar: CalendarInfo | null;
  attachments: Attachment[];
  flags: { unread: boolean; flagged: boolean; answered: boolean };
  done: boolean;
  pendingSync?: boolean;
  syncError?: string | null;
  tags?: TagRef[];
  sourceAvailable: boolean;
  analysis: FullAnalysis;
}

export interface Folder {
  id: string;
  path: string;
  name: string;
  role: string | null;
}

export const CATEGORIES = ['action_required', 'urgent', 'information', 'newsletter', 'spam', 'personal', 'calendar', 'transactional'] as const;

export type MessageAction = 'read' | 'unread' | 'flag' | 'unflag' | 'done' | 'undone' | 'move' | 'trash' | 'delete';

export interface ListFilter {
  account?: string;
  folderId?: string;
  cell?: string;
  colour?: string;
  category?: string;
  tag?: string;
  unread?: string;
  flagged?: string;
  done?: string;
  attachments?: string;
  calendar?: string;
  since?: string;
  until?: string;
  sort?: string;
}

export const FILTER_KEYS: (keyof ListFilter)[] = ['account', 'folderId', 'cell', 'colour', 'category', 'tag', 'unread', 'flagged', 'done', 'attachments', 'calendar', 'since', 'until', 'sort'];

export const DASHBOARD_KEY = ['dashboard'];
export const MESSAGES_KEY = ['messages'];
export const messageKey = (id: string) => ['message', id];

export function filterQuery(filter: ListFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filter[key];
    if (v) params.set(key, v);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Everything that shows message state: after a change, the matrix, the lists and the open message. */
export function refreshMail(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: DASHBOARD_KEY });
  void client.invalidateQueries({ queryKey: MESSAGES_KEY });
  void client.invalidateQueries({ queryKey: ['message'] });
}

export function useDashboard(account: string | undefined) {
  return useQuery({
    queryKey: [...DASHBOARD_KEY, account ?? 'all'],
    queryFn: () => get<{ cells: DashboardCell[] }>(`/api/dashboard${account ? `?account=${encodeURIComponent(account)}` : ''}`),
  });
}

export function useMessages(filter: ListFilter) {
  return useInfiniteQuery({
    queryKey: [...MESSAGES_KEY, filter],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => get<{ items: MessageSummary[]; nextCursor: string | null }>(`/api/messages${filterQuery(filter, pageParam ? { cursor: pageParam, limit: '50' } : { limit: '50' })}`),
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** One message; `enabled: false` stops re-reading it (while it is being deleted: it would answer 404). */
export function useMessage(id: string, enabled = true) {
  return useQuery({ queryKey: messageKey(id), enabled, queryFn: () => get<MessageDetail>(`/api/messages/${id}`) });
}

export function useThread(threadId: string | null | undefined) {
  return useQuery({
    queryKey: ['thread', threadId],
    enabled: Boolean(threadId),
    retry: false,
    queryFn: async () => {
      const body = await get<MessageSummary[] | { items?: MessageSummary[]; messages?: MessageSummary[] }>(`/api/threads/${threadId}`);
      return Array.isArray(body) ? body : (body.items ?? body.messages ?? []);
    },
  });
}

/** The user's tags; empty while the server has no tags (older server). */
export function useTags() {
  return useQuery({
    queryKey: ['tags'],
    retry: false,
    queryFn: () => get<{ items: TagRef[] }>('/api/tags'),
    select: (d) => d.items,
  });
}

export function useAccountFolders(accountId: string | undefined) {
  return useQuery({ queryKey: ['accounts', accountId, 'folders'], enabled: Boolean(accountId), queryFn: () => get<Folder[]>(`/api/accounts/${accountId}/folders`) });
}

export function useCorrection(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { urgency?: number; importance?: number; category?: string; spam?: boolean; tags?: string[] }) =>
      post<{ analysis: FullAnalysis; tags?: TagRef[] }>(`/api/messages/${id}/correction`, body),
    onSuccess: (res) => {
      client.setQueryData<MessageDetail>(messageKey(id), (old) => (old ? { ...old, analysis: res.analysis, ...(res.tags ? { tags: res.tags } : {}) } : old));
      refreshMail(client);
    },
  });
}

/**
 * Accepts one of the analyser's suggested tags: creates the tag when the user has none of that name
 * (or finds it when another tab just did), then assigns it (`POST /api/messages/:id/tags`).
 */
export function useSuggestedTag(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ key, tagId }: { key: string; tagId: string | null }) => {
      let tag = tagId;
      if (!tag) {
        try {
          tag = (await post<TagRef>('/api/tags', { name: key })).id;
        } catch (err) {
          if (!(err instanceof ApiError) || err.code !== 'TAG_NAME_TAKEN') throw err;
          const { items } = await get<{ items: TagRef[] }>('/api/tags');
          tag = items.find((x) => x.name.toLowerCase() === key.toLowerCase())?.id ?? null;
          if (!tag) throw err;
        }
      }
      return post<{ tags: TagRef[] }>(`/api/messages/${id}/tags`, { tagId: tag });
    },
    onSuccess: async (res) => {
      client.setQueryData<MessageDetail>(messageKey(id), (old) => (old ? { ...old, tags: res.tags } : old));
      await client.invalidateQueries({ queryKey: ['tags'] });
      refreshMail(client);
    },
  });
}

export function useMessageAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ ids, action, folderId }: { ids: string[]; action: MessageAction; folderId?: string }) => {
      // Deleting on the server is permanent: the API wants it confirmed (the UI asked already).
      const body = { action, ...(folderId ? { folderId } : {}), ...(action === 'delete' ? { confirm: true } : {}) };
      return ids.length === 1 ? post<unknown>(`/api/messages/${ids[0]}/actions`, body) : post<unknown>('/api/messages/actions', { ids, ...body });
    },
    onSettled: () => refreshMail(client),
  });
}
