import { beforeEach, describe, expect, it } from 'vitest';
import { addDays, daysBetween, dueLabel } from '../lib/format';
import { i18n } from '../lib/i18n/index.svelte';
import { renderMarkdown } from '../lib/markdown';

// 10 March 2026, 10:00 in Budapest (09:00 UTC).
const now = new Date('2026-03-10T09:00:00Z');

describe('due labels follow the language and the time zone', () => {
  beforeEach(() => {
    i18n.timeZone = 'Europe/Budapest';
  });

  it('says today, tomorrow and how long ago it fell due, in Hungarian', () => {
    i18n.language = 'hu';
    expect(dueLabel({ day: '2026-03-10' }, now)).toBe('ma');
    expect(dueLabel({ day: '2026-03-11' }, now)).toBe('holnap');
    expect(dueLabel({ day: '2026-03-08' }, now)).toBe('2 napja lejárt');
    expect(dueLabel({ day: '2026-03-09' }, now)).toBe('1 napja lejárt');
  });

  it('and in English, with plural forms', () => {
    i18n.language = 'en';
    expect(dueLabel({ day: '2026-03-10' }, now)).toBe('today');
    expect(dueLabel({ day: '2026-03-11' }, now)).toBe('tomorrow');
    expect(dueLabel({ day: '2026-03-08' }, now)).toBe('overdue by 2 days');
    expect(dueLabel({ day: '2026-03-09' }, now)).toBe('overdue by 1 day');
  });

  it('puts a timed due on the local day: 23:30 in Budapest is today, not tomorrow', () => {
    i18n.language = 'en';
    // 22:30 UTC is 23:30 in Budapest (winter time).
    expect(dueLabel({ at: '2026-03-10T22:30:00Z' }, now)).toBe('today 23:30');
    i18n.timeZone = 'UTC';
    expect(dueLabel({ at: '2026-03-10T23:30:00Z' }, now)).toBe('today 23:30');
    i18n.timeZone = 'Asia/Tokyo';
    expect(dueLabel({ at: '2026-03-10T22:30:00Z' }, now)).toBe('tomorrow 07:30');
  });
});

describe('days', () => {
  it('counts days across the summer-time change', () => {
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
  });
});

describe('markdown from colleagues and guests is sanitised', () => {
  it('keeps formatting and drops scripts, handlers and javascript links', () => {
    const html = renderMarkdown('**fontos** <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))');
    expect(html).toContain('<strong>fontos</strong>');
    expect(html).not.toMatch(/script|onerror|javascript:|<img/i);
  });
});
