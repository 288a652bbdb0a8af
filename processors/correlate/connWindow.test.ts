import { describe, expect, it } from 'vitest';
import { type Conn, ConnWindow } from './connWindow.js';
import { seededRandom } from '../../test/seededRandom.js';
import { EventTimeList } from './eventTimeList.js';

/** The window must hold exactly what a list of Conn objects in event-time order holds. */
function expectSame(w: ConnWindow, model: EventTimeList<Conn>, probes: number[]): void {
  expect(w.size).toBe(model.size);
  for (let i = 0; i < model.size; i++) {
    const c = model.at(i);
    expect(w.timeAt(i)).toBe(c.time);
    expect(w.dstAt(i)).toBe(w.idOf(c.dst));
    expect(w.serviceAt(i)).toBe(w.idOf(c.service));
    expect(w.srcPortAt(i)).toBe(c.srcPort);
    expect(w.serrorAt(i)).toBe(c.serror);
    expect(w.rerrorAt(i)).toBe(c.rerror);
  }
  for (const t of probes) expect(w.upper(t)).toBe(model.upper(t));
}

describe('ConnWindow', () => {
  it.each([1, 2, 3, 4])('matches an EventTimeList of Conn objects under random inserts and evictions (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const w = new ConnWindow();
    const model = new EventTimeList<Conn>();
    let now = 1_000_000;
    for (let step = 0; step < 4000; step++) {
      now += Math.floor(random() * 20);
      // A tenth arrive up to 3 s late, so inserts land in the middle and shift the columns.
      const time = random() < 0.1 ? now - Math.floor(random() * 3000) : now;
      const conn: Conn = {
        time,
        // Many destinations, so evicted names are dropped from the name table on the way.
        dst: `10.0.${Math.floor(random() * 40)}.${Math.floor(random() * 10)}`,
        service: ['http', 'dns', 'smtp', 'private', 'ftp'][Math.floor(random() * 5)],
        srcPort: 1024 + Math.floor(random() * 4),
        serror: random() < 0.3,
        rerror: random() < 0.2,
      };
      w.insert(conn);
      model.insert(conn);
      if (random() < 0.3) {
        const cutoff = now - 2000 - Math.floor(random() * 4000);
        const cap = random() < 0.2 ? 50 + Math.floor(random() * 200) : Infinity;
        w.evict(cutoff, cap);
        model.evict(cutoff, cap);
      }
      if (step % 97 === 0) expectSame(w, model, [now, now - 1000, time, time - 1, -1, now + 1]);
    }
    expectSame(w, model, [now, now - 2500]);
  });

  it('a name no kept connection has has no id, and ids of kept names survive the table rebuild', () => {
    const w = new ConnWindow();
    for (let i = 0; i < 500; i++) w.insert({ time: i, dst: `10.0.0.${i}`, service: 'http', srcPort: 1, serror: false, rerror: false });
    w.evict(490);
    expect(w.size).toBe(10);
    expect(w.idOf('10.0.0.5')).toBe(-1); // evicted, and the table was rebuilt (500 names for 10 connections)
    expect(w.dstAt(0)).toBe(w.idOf('10.0.0.490'));
    expect(w.dstAt(9)).toBe(w.idOf('10.0.0.499'));
    expect(new Set(Array.from({ length: 10 }, (_, i) => w.dstAt(i))).size).toBe(10);
  });
});
