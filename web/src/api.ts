/** The one way the UI talks to the server: JSON over the public API, CSRF on every state change. */

export interface ApiErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Hooks the app shell installs: the step-up dialog and reactions to sign-in state changes. */
export interface ApiHooks {
  /** Asks for the password (and code) again; resolves true once the server confirmed it. */
  stepUp?: () => Promise<boolean>;
  /** The session ended or 2FA enrolment became due: the shell re-reads where the user stands. */
  signInChanged?: () => void;
}

let csrfToken: string | null = null;
const hooks: ApiHooks = {};

export function setCsrfToken(token: string | null | undefined): void {
  if (token !== undefined) csrfToken = token;
}

export function installApiHooks(next: ApiHooks): void {
  Object.assign(hooks, next);
}

async function send(method: Method, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // A bodiless POST must not claim JSON: the server refuses an empty JSON body.
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  return fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as ApiErrorBody;
    if (body?.error?.code) return new ApiError(res.status, body.error.code, body.error.message, body.error.details ?? {});
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, 'HTTP_' + res.status, res.statusText || 'Request failed');
}

export async function api<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (!res.ok) {
    let err = await toError(res);
    if (err.code === 'STEP_UP_REQUIRED' && hooks.stepUp && (await hooks.stepUp())) {
      res = await send(method, path, body);
      if (res.ok) return parse<T>(res);
      err = await toError(res);
    }
    if (err.code === 'UNAUTHENTICATED' || err.code === 'TWO_FACTOR_ENROLLMENT_REQUIRED' || err.code === 'TWO_FACTOR_REQUIRED') {
      hooks.signInChanged?.();
    }
    throw err;
  }
  return parse<T>(res);
}

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const data = (await res.json()) as T & { csrfToken?: string };
  if (data && typeof data === 'object' && typeof data.csrfToken === 'string') setCsrfToken(data.csrfToken);
  return data;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body);
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body);
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, body);
export const del = <T = void>(path: string) => api<T>('DELETE', path);
