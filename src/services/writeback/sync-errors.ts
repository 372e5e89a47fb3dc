/** Why the server refused a write-back operation: the code is stored, the text shown (never the server's own words, which may quote mail). */
const MESSAGES = {
  STORE_REFUSED: 'The mail server refused to change the message’s flags',
  MOVE_REFUSED: 'The mail server refused to move the message (is the target folder gone?)',
  DELETE_REFUSED: 'The mail server refused to delete the message',
  UIDVALIDITY_CHANGED: 'The folder was reset on the server; the change was not sent',
  FOLDER_GONE: 'The folder no longer exists',
  SERVER_UNREACHABLE: 'The mail server could not be reached; the change was undone',
} as const;

export type RefusalCode = keyof typeof MESSAGES;

export function syncErrorMessage(code: string): string {
  return (MESSAGES as Record<string, string>)[code] ?? 'The mail server refused the change';
}

/** A message's write-back error as the API shows it. */
export function syncErrorOf(code: string | null): { code: string; message: string } | null {
  return code ? { code, message: syncErrorMessage(code) } : null;
}
