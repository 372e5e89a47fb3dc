import { describe, expect, it } from 'vitest';
import { parseInvitation, resolveZone, zonedToUtc } from '../../../src/mail/mime/icalendar.js';
import { parseMessage } from '../../../src/mail/mime/parse.js';
import { generateMessages } from '../../support/mail/index.js';

const ics = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR'].join('\r\n');

describe('calendar invitations', () => {
  it('reads a REQUEST with TZID (summer time in Berlin) as absolute instants with the zone', () => {
    const inv = parseInvitation(
      ics(
        'METHOD:REQUEST',
        'BEGIN:VTIMEZONE',
        'TZID:Europe/Berlin',
        'END:VTIMEZONE',
        'BEGIN:VEVENT',
        'UID:abc-1@example.org',
        'SEQUENCE:2',
        'DTSTART;TZID=Europe/Berlin:20260715T093000',
        'DTEND;TZID="Europe/Berlin":20260715T110000',
        'SUMMARY:Quartalsplanung\\, Teil 2',
        'LOCATION:Raum 4.01\\; Gebäude B',
        'ORGANIZER;CN="Müller, Anna":mailto:anna@example.org',
        'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com',
        'ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED:MAILTO:carol@example.net',
        'BEGIN:VALARM',
        'TRIGGER:-PT15M',
        'DESCRIPTION:Alarm summary must not win',
        'END:VALARM',
        'END:VEVENT',
      ),
    );
    expect(inv).toMatchObject({ method: 'REQUEST', uid: 'abc-1@example.org', sequence: 2, summary: 'Quartalsplanung, Teil 2', location: 'Raum 4.01; Gebäude B' });
    expect(inv.start).toEqual({ at: '2026-07-15T07:30:00.000Z', date: null, allDay: false, timeZone: 'Europe/Berlin', tzid: null });
    expect(inv.end?.at).toBe('2026-07-15T09:00:00.000Z');
    expect(inv.organizer).toEqual({ name: 'Müller, Anna', address: 'anna@example.org' });
    expect(inv.attendees).toEqual([
      { name: 'Bob', address: 'bob@example.com', role: 'REQ-PARTICIPANT', status: 'NEEDS-ACTION', rsvp: true },
      { name: null, address: 'carol@example.net', role: 'OPT-PARTICIPANT', status: 'ACCEPTED', rsvp: false },
    ]);
  });

  it('handles winter time, Outlook zone names, custom VTIMEZONEs, all-day dates, DURATION and floating times', () => {
    const winter = parseInvitation(ics('BEGIN:VEVENT', 'DTSTART;TZID=W. Europe Standard Time:20261215T093000', 'DURATION:PT1H30M', 'END:VEVENT'));
    expect(winter.start).toMatchObject({ at: '2026-12-15T08:30:00.000Z', timeZone: 'Europe/Berlin', tzid: 'W. Europe Standard Time' });
    expect(winter.end?.at).toBe('2026-12-15T10:00:00.000Z');

    const custom = parseInvitation(
      ics(
        'BEGIN:VTIMEZONE',
        'TZID:Customized Time Zone',
        'BEGIN:DAYLIGHT',
        'TZOFFSETTO:-0400',
        'END:DAYLIGHT',
        'BEGIN:STANDARD',
        'TZOFFSETTO:-0500',
        'END:STANDARD',
        'END:VTIMEZONE',
        'BEGIN:VEVENT',
        'DTSTART;TZID=Customized Time Zone:20260110T090000',
        'END:VEVENT',
      ),
    );
    expect(custom.start).toMatchObject({ at: '2026-01-10T14:00:00.000Z', timeZone: null, tzid: 'Customized Time Zone' });

    const prefixed = parseInvitation(ics('BEGIN:VEVENT', 'DTSTART;TZID=/citadel.org/20070101_1/America/New_York:20260301T120000', 'END:VEVENT'));
    expect(prefixed.start).toMatchObject({ at: '2026-03-01T17:00:00.000Z', timeZone: 'America/New_York' });

    const allDay = parseInvitation(ics('BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260501', 'DTEND;VALUE=DATE:20260502', 'END:VEVENT'));
    expect(allDay.start).toEqual({ at: '2026-05-01T00:00:00.000Z', date: '2026-05-01', allDay: true, timeZone: null, tzid: null });
    expect(allDay.end?.date).toBe('2026-05-02');

    const floating = parseInvitation(ics('BEGIN:VEVENT', 'DTSTART:20260501T100000', 'END:VEVENT'));
    expect(floating.start).toMatchObject({ at: null, allDay: false, timeZone: null });
  });

  it('unfolds long lines and takes the first event of a series', () => {
    const inv = parseInvitation(
      ics('METHOD:CANCEL', 'BEGIN:VEVENT', 'UID:s1', 'SUMMARY:Sehr langer Titel, der auf', '  zwei Zeilen gefaltet ist', 'DTSTART:20260601T080000Z', 'END:VEVENT', 'BEGIN:VEVENT', 'UID:s1', 'SUMMARY:Ausnahme', 'END:VEVENT'),
    );
    expect(inv).toMatchObject({ method: 'CANCEL', summary: 'Sehr langer Titel, der auf zwei Zeilen gefaltet ist', start: { at: '2026-06-01T08:00:00.000Z', timeZone: 'UTC' } });
  });

  it('converts wall-clock times at DST changes and resolves zones', () => {
    // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 exists twice (the earlier is CEST).
    expect(new Date(zonedToUtc(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(zonedToUtc(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(new Date(zonedToUtc(Date.UTC(2026, 0, 5, 12, 0), 'Asia/Kolkata')).toISOString()).toBe('2026-01-05T06:30:00.000Z');
    expect(resolveZone('Europe/Zurich')).toBe('Europe/Zurich');
    expect(resolveZone('Mars/Olympus_Mons')).toBeNull();
  });

  it("reads the generator's REQUEST and CANCEL invitations", async () => {
    const gen = generateMessages({ seed: 5, count: 250, kinds: ['calendar-request', 'calendar-cancel'] });
    const seen = new Set<string>();
    for (const m of gen) {
      const parsed = await parseMessage(m.source);
      expect(parsed.calendar).not.toBeNull();
      const inv = parseInvitation(parsed.calendar!.content, parsed.calendar!.method);
      expect(['REQUEST', 'CANCEL']).toContain(inv.method);
      seen.add(inv.method!);
      expect(inv.status).toBe(inv.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED');
      expect(inv.location).toBe('Besprechungsraum Süd');
      expect(inv.summary).toBeTruthy();
      expect(inv.organizer?.address).toMatch(/@/);
      expect(inv.attendees).toHaveLength(1);
      expect(Date.parse(inv.end!.at!) - Date.parse(inv.start!.at!)).toBe(3_600_000);
      expect(inv.start!.timeZone).toBe('UTC');
    }
    expect([...seen].sort()).toEqual(['CANCEL', 'REQUEST']);
  });
});
