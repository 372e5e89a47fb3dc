import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJobDefinitions } from '../../../src/jobs/handlers/index.js';
import type { JobDefinition } from '../../../src/jobs/registry.js';

/** Payloads carry ids and counts only: no secrets, no mail content, no addresses. */
const forbidden = ['password', 'secret', 'token', 'subject', 'body', 'text', 'html', 'address', 'email', 'from', 'to', 'cc', 'bcc', 'content', 'snippet', 'attachment', 'filename'];

/** Every object key anywhere in a zod schema (objects, arrays, unions, optionals, defaults …). */
function fieldNames(schema: z.ZodType, seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, any> } })._zod.def;
  const names: string[] = [];
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) names.push(key, ...fieldNames(child, seen));
    if (def.catchall && def.catchall._zod.def.type !== 'never') names.push('<any key>');
  }
  if (def.type === 'record') names.push('<any key>');
  for (const k of ['element', 'innerType', 'in', 'out', 'left', 'right', 'valueType']) if (def[k]?._zod) names.push(...fieldNames(def[k], seen));
  for (const option of def.options ?? []) names.push(...fieldNames(option, seen));
  for (const item of def.items ?? []) names.push(...fieldNames(item, seen));
  return names;
}

/** `html_body`, `toAddress`, `reply-to` → their words, lower-case. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

function offending(definitions: JobDefinition[]): string[] {
  return definitions.flatMap((d) =>
    fieldNames(d.payload)
      .filter((name) => name === '<any key>' || words(name).some((w) => forbidden.includes(w)))
      .map((name) => `${d.type}.${name}`),
  );
}

describe('job payloads', () => {
  it('no registered job type has a field for secrets, mail content or addresses', () => {
    const definitions = createJobDefinitions({ db: {} as never, accountSync: {} as never, crypto: {} as never });
    expect(definitions.map((d) => d.type)).toEqual(expect.arrayContaining(['account.sync', 'analysis.run']));
    expect(offending(definitions)).toEqual([]);
  });

  it('the check catches such fields, however deeply nested (positive control)', () => {
    const bad = (payload: z.ZodType) => [{ type: 'demo.bad', payload } as JobDefinition];
    expect(offending(bad(z.object({ accountId: z.string(), password: z.string() })))).toEqual(['demo.bad.password']);
    expect(offending(bad(z.object({ messages: z.array(z.object({ id: z.string(), subject: z.string().optional() })) })))).toEqual(['demo.bad.subject']);
    expect(offending(bad(z.object({ reply: z.union([z.object({ to: z.string() }), z.object({ html_body: z.string() })]) })))).toEqual(['demo.bad.to', 'demo.bad.html_body']);
    expect(offending(bad(z.object({ toAddress: z.string().optional() })))).toEqual(['demo.bad.toAddress']);
    expect(offending(bad(z.object({ extra: z.record(z.string(), z.string()) })))).toEqual(['demo.bad.<any key>']);
    expect(offending(bad(z.object({ accountId: z.string().uuid(), folderIds: z.array(z.string()).default([]) })))).toEqual([]);
  });
});
