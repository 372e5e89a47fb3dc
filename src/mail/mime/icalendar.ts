/**
 * The invitation in a text/calendar part (RFC 5545, iTIP RFC 5546) as the message view shows it:
 * method, summary, start and end as absolute instants with their time zone, location, organizer and
 * attendees. Reads the first VEVENT; tolerant of folded lines, parameters, quoting and escapes.
 */

export interface CalendarTime {
  /** The instant in UTC (ISO 8601); for an all-day date, midnight UTC of that date. Null when unreadable. */
  at: string | null;
  /** The calendar date for all-day events (YYYY-MM-DD). */
  date: string | null;
  allDay: boolean;
  /** The IANA zone the time was written in ('UTC' for Z times); null for floating or unknown zones. */
  timeZone: string | null;
  /** The TZID as written when it is not an IANA zone we could resolve (e.g. a custom VTIMEZONE). */
  tzid: string | null;
}

export interface CalendarPerson {
  name: string | null;
  address: string | null;
}

export interface CalendarAttendee extends CalendarPerson {
  role: string | null;
  status: string | null;
  rsvp: boolean;
}

export interface CalendarInvite {
  method: string | null;
  uid: string | null;
  sequence: number | null;
  status: string | null;
  summary: string | null;
  location: string | null;
  start: CalendarTime | null;
  end: CalendarTime | null;
  organizer: CalendarPerson | null;
  attendees: CalendarAttendee[];
}

interface Property {
  name: string;
  params: Map<string, string>;
  value: string;
}

const MAX_LINES = 20_000;
const MAX_ATTENDEES = 500;

/** Unfolds and splits content lines into properties with their component path. */
function properties(text: string): Located[] {
  const unfolded = text.replace(/\r\n|\r/g, '\n').replace(/\n[ \t]/g, '');
  const out: Located[] = [];
  const path: string[] = [];
  const components: number[] = [];
  let count = 0;
  for (const line of unfolded.split('\n').slice(0, MAX_LINES)) {
    if (!line.trim()) continue;
    const prop = parseLine(line);
    if (!prop) continue;
    if (prop.name === 'BEGIN') {
      path.push(prop.value.trim().toUpperCase());
      components.push(count++);
    } else if (prop.name === 'END') {
      path.pop();
      components.pop();
    } else out.push({ ...prop, path: [...path], component: components.at(-1) ?? -1 });
  }
  return out;
}

/** A property with the components it sits in (outermost first) and the number of its innermost component. */
interface Located extends Property {
  path: string[];
  component: number;
}

function parseLine(line: string): Property | null {
  // name *(";" param) ":" value — a colon inside a quoted parameter value does not end the name.
  let i = 0;
  let inQuote = false;
  for (; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuote = !inQuote;
    else if (ch === ':' && !inQuote) break;
  }
  if (i >= line.length) return null;
  const head = line.slice(0, i);
  const value = line.slice(i + 1);
  const parts = head.match(/(?:[^;"]|"[^"]*")+/g) ?? [];
  const name = (parts.shift() ?? '').trim().toUpperCase();
  if (!name) return null;
  const params = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(p.slice(0, eq).trim().toUpperCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ''));
  }
  return { name, params, value };
}

function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function person(p: Property | undefined): CalendarPerson | null {
  if (!p) return null;
  const address = p.value.replace(/^mailto:/i, '').trim() || null;
  const cn = p.params.get('CN');
  return { name: cn ? unescapeText(cn) : null, address };
}

// Time zone names Outlook/Exchange write instead of IANA ids (the common ones for our users).
const WINDOWS_ZONES: Record<string, string> = {
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'Romance Standard Time': 'Europe/Paris',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Eastern Standard Time': 'America/New_York',
  'Central Standard Time': 'America/Chicago',
  'Mountain Standard Time': 'America/Denver',
  'Pacific Standard Time': 'America/Los_Angeles',
  'China Standard Time': 'Asia/Shanghai',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'India Standard Time': 'Asia/Kolkata',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  UTC: 'UTC',
  'Coordinated Universal Time': 'UTC',
};

function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA zone for a TZID: itself, a known Windows name, or the Area/City at the end of a prefixed id. */
export function resolveZone(tzid: string): string | null {
  const id = tzid.trim();
  if (WINDOWS_ZONES[id]) return WINDOWS_ZONES[id]!;
  if (/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+$/.test(id) && isIanaZone(id)) return id;
  const tail = /([A-Za-z_]+\/[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)?)$/.exec(id)?.[1];
  if (tail && isIanaZone(tail)) return tail;
  return null;
}

/** Offset of a zone from UTC at an instant, in ms. */
function zoneOffset(zone: string, instant: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(
    new Date(instant),
  );
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - instant;
}

/**
 * The instant a wall-clock time in a zone denotes: the earlier one in a DST overlap; in a DST gap
 * the time is read with the offset before the change (02:30 in a spring-forward gap becomes 03:30).
 */
export function zonedToUtc(wall: number, zone: string): number {
  const before = zoneOffset(zone, wall - 86_400_000);
  const after = zoneOffset(zone, wall + 86_400_000);
  const valid = [before, after].map((o) => wall - o).filter((t) => wall - zoneOffset(zone, t) === t);
  return valid.length > 0 ? Math.min(...valid) : wall - before;
}

/** The UTC offset (ms) a custom VTIMEZONE declares: its STANDARD part, else its first TZOFFSETTO. */
function vtimezoneOffset(props: Located[], tzid: string): number | null {
  let inZone = false;
  let standard: string | null = null;
  let any: string | null = null;
  for (const p of props) {
    if (p.path.at(-1) === 'VTIMEZONE' && p.name === 'TZID') inZone = p.value.trim() === tzid;
    if (!inZone || p.name !== 'TZOFFSETTO') continue;
    any ??= p.value;
    if (p.path.at(-1) === 'STANDARD') standard ??= p.value;
  }
  const m = /^([+-])(\d{2})(\d{2})$/.exec((standard ?? any ?? '').trim());
  if (!m) return null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

function parseTime(p: Property | undefined, props: Located[]): CalendarTime | null {
  if (!p) return null;
  const v = p.value.trim();
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (date || p.params.get('VALUE')?.toUpperCase() === 'DATE') {
    const d = date ?? /^(\d{4})(\d{2})(\d{2})/.exec(v);
    if (!d) return { at: null, date: null, allDay: true, timeZone: null, tzid: null };
    const iso = `${d[1]}-${d[2]}-${d[3]}`;
    return { at: `${iso}T00:00:00.000Z`, date: iso, allDay: true, timeZone: null, tzid: null };
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(v);
  if (!m) return { at: null, date: null, allDay: false, timeZone: null, tzid: p.params.get('TZID') ?? null };
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(wall)) return { at: null, date: null, allDay: false, timeZone: null, tzid: null };
  if (m[7]) return { at: new Date(wall).toISOString(), date: null, allDay: false, timeZone: 'UTC', tzid: null };
  const tzid = p.params.get('TZID');
  if (!tzid) return { at: null, date: null, allDay: false, timeZone: null, tzid: null }; // floating: no absolute instant
  const zone = resolveZone(tzid);
  if (zone) return { at: new Date(zonedToUtc(wall, zone)).toISOString(), date: null, allDay: false, timeZone: zone, tzid: zone === tzid ? null : tzid };
  const offset = vtimezoneOffset(props, tzid);
  return { at: offset === null ? null : new Date(wall - offset).toISOString(), date: null, allDay: false, timeZone: null, tzid };
}

/** The invitation of a calendar part; `method` from the MIME part wins over the METHOD property. */
export function parseInvitation(content: string, method: string | null = null): CalendarInvite {
  const props = properties(content);
  const cal = (name: string) => props.find((p) => p.path.length === 1 && p.name === name);
  // The first VEVENT directly inside the VCALENDAR: a recurring series with exceptions has several
  // sharing one UID, and alarms nest inside them.
  const firstEvent = props.find((p) => p.path.length === 2 && p.path[1] === 'VEVENT')?.component;
  const event = props.filter((p) => p.component === firstEvent && p.path.length === 2);
  const get = (name: string) => event.find((p) => p.name === name);
  const text = (name: string) => {
    const p = get(name);
    return p ? unescapeText(p.value).trim() || null : null;
  };
  const start = parseTime(get('DTSTART'), props);
  let end = parseTime(get('DTEND'), props);
  const duration = get('DURATION')?.value;
  if (!end && start?.at && duration) {
    const ms = durationMs(duration);
    if (ms !== null) {
      const at = new Date(Date.parse(start.at) + ms).toISOString();
      end = { ...start, at, date: start.allDay ? at.slice(0, 10) : null };
    }
  }
  const attendees = event
    .filter((p) => p.name === 'ATTENDEE')
    .slice(0, MAX_ATTENDEES)
    .map((p): CalendarAttendee => ({
      ...person(p)!,
      role: p.params.get('ROLE')?.toUpperCase() ?? null,
      status: p.params.get('PARTSTAT')?.toUpperCase() ?? null,
      rsvp: p.params.get('RSVP')?.toUpperCase() === 'TRUE',
    }));
  const sequence = Number(get('SEQUENCE')?.value);
  return {
    method: (method ?? cal('METHOD')?.value ?? '').trim().toUpperCase() || null,
    uid: get('UID')?.value.trim() || null,
    sequence: Number.isInteger(sequence) ? sequence : null,
    status: get('STATUS')?.value.trim().toUpperCase() || null,
    summary: text('SUMMARY'),
    location: text('LOCATION'),
    start,
    end,
    organizer: person(get('ORGANIZER')),
    attendees,
  };
}

/** An RFC 5545 duration (e.g. "PT1H30M", "P1D", "-PT15M") in ms. */
function durationMs(v: string): number | null {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(v.trim());
  if (!m) return null;
  const [, sign, w, d, h, min, s] = m;
  const ms = ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000;
  return sign === '-' ? -ms : ms;
}
