import t from 'tap';
import { isOpen, localTime } from '../../../daemon/bot/hours.js';

const hours = { open: { 'mon-fri': '09:00-18:00', sat: ['10:00-12:00', '13:00-16:00'] }, holidays: ['2026-10-01'] };
const tz = 'Asia/Shanghai';
// 2026-11-23 is a Monday. 01:30Z = 09:30 in Shanghai.
t.equal(localTime(new Date('2026-11-23T01:30:00Z'), tz).day, 'mon');
t.ok(isOpen(hours, tz, new Date('2026-11-23T01:30:00Z')), 'Monday 09:30 open');
t.notOk(isOpen(hours, tz, new Date('2026-11-23T00:59:00Z')), 'Monday 08:59 closed');
t.notOk(isOpen(hours, tz, new Date('2026-11-23T10:00:00Z')), 'Monday 18:00 closed (end exclusive)');
t.ok(isOpen(hours, tz, new Date('2026-11-28T02:30:00Z')), 'Saturday 10:30 open');
t.notOk(isOpen(hours, tz, new Date('2026-11-28T04:30:00Z')), 'Saturday 12:30 lunch closed');
t.notOk(isOpen(hours, tz, new Date('2026-11-29T02:30:00Z')), 'Sunday closed');
t.notOk(isOpen(hours, tz, new Date('2026-10-01T02:30:00Z')), 'holiday (a Thursday) closed');
t.ok(isOpen(undefined, tz), 'no hours: always open');
t.ok(isOpen({ open: { 'fri-mon': '00:00-24:00' } }, tz, new Date('2026-11-29T02:30:00Z')), 'wrapping day range covers Sunday');
