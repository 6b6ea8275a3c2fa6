/**
 * The tests' own reading of a local wall clock, straight from Intl (independent of src/query/zone.ts,
 * which it checks): local date and hour of an instant, cached per minute.
 */
const MIN = 60_000;

export function localClock(tz: string): (ms: number) => { date: string; hour: number } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' });
  const cache = new Map<number, { date: string; hour: number }>();
  return (ms) => {
    const minute = Math.floor(ms / MIN);
    let v = cache.get(minute);
    if (v === undefined) {
      const p = Object.fromEntries(f.formatToParts(minute * MIN).map((x) => [x.type, x.value]));
      v = { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour) % 24 };
      cache.set(minute, v);
    }
    return v;
  };
}
