import { describe, expect, it } from 'vitest';
import { flagsText } from '../../../src/services/sync/message-identity.js';

describe('stored flags', () => {
  it('are sorted, unique and never keep the session-only \\Recent flag', () => {
    expect(flagsText(['\\Seen', '\\Recent', '\\Flagged', '\\Seen'])).toBe('\\Flagged \\Seen');
    expect(flagsText(['\\RECENT'])).toBe('');
    expect(flagsText(['$Label1', '\\Answered'])).toBe('$Label1 \\Answered');
  });
});
