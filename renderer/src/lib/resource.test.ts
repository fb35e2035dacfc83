import { describe, expect, it } from 'vitest';
import type { Result } from '../../../common/result.js';
import { AsyncResource, attempt, Generation } from './resource.svelte.js';

/** A fetch whose answers the test releases by hand, in any order. */
function deferred() {
  const calls: { key: string; signal: AbortSignal; answer: (r: Result<string>) => void; fail: (e: unknown) => void }[] = [];
  const fetch = (key: string, signal: AbortSignal) =>
    new Promise<Result<string>>((answer, fail) => {
      calls.push({ key, signal, answer, fail });
    });
  return { calls, fetch };
}

describe('AsyncResource', () => {
  it('keeps the newer answer when two loads resolve out of order', async () => {
    const res = new AsyncResource<string>();
    const { calls, fetch } = deferred();
    const first = res.load('a', fetch);
    const second = res.load('b', fetch);
    expect(res.pending).toBe('b');
    calls[1].answer({ ok: true, value: 'B' });
    expect(await second).toBe('B');
    calls[0].answer({ ok: true, value: 'A (late)' });
    expect(await first).toBeUndefined();
    expect(res.value).toBe('B');
    expect(res.key).toBe('b');
    expect(res.loading).toBe(false);
  });

  it('keeps loading while the newer load is still out, and a stale error changes nothing', async () => {
    const res = new AsyncResource<string>();
    const { calls, fetch } = deferred();
    const first = res.load('a', fetch);
    const second = res.load('b', fetch);
    calls[0].answer({ ok: false, error: { code: 'not-found', message: 'stale' } });
    await first;
    expect(res.loading).toBe(true);
    expect(res.error).toBeNull();
    calls[1].answer({ ok: true, value: 'B' });
    await second;
    expect(res.loading).toBe(false);
  });

  it('aborts the superseded load’s signal, not the current one', async () => {
    const res = new AsyncResource<string>();
    const { calls, fetch } = deferred();
    void res.load('a', fetch);
    void res.load('b', fetch);
    expect(calls[0].signal.aborted).toBe(true);
    expect(calls[1].signal.aborted).toBe(false);
    res.clear();
    expect(calls[1].signal.aborted).toBe(true);
  });

  it('sets error on a failed Result and keeps the last good value', async () => {
    const res = new AsyncResource<string>();
    await res.load('a', async () => ({ ok: true, value: 'A' }));
    const got = await res.load('a', async () => ({ ok: false, error: { code: 'io', message: 'disk gone' } }));
    expect(got).toBeUndefined();
    expect(res.error).toEqual({ code: 'io', message: 'disk gone' });
    expect(res.value).toBe('A');
    expect(res.done).toBe(true);
    // The next good answer clears the error.
    await res.load('a', async () => ({ ok: true, value: 'A2' }));
    expect(res.error).toBeNull();
    expect(res.value).toBe('A2');
  });

  it('turns a thrown exception into an internal error and stops loading', async () => {
    const res = new AsyncResource<string>();
    const got = await res.load('a', async () => {
      throw new Error('channel closed');
    });
    expect(got).toBeUndefined();
    expect(res.error).toEqual({ code: 'internal', message: 'channel closed' });
    expect(res.loading).toBe(false);
  });

  it('drops an answer that arrives after clear()', async () => {
    const res = new AsyncResource<string>();
    const { calls, fetch } = deferred();
    const p = res.load('a', fetch);
    res.clear();
    calls[0].answer({ ok: true, value: 'A' });
    expect(await p).toBeUndefined();
    expect(res.value).toBeNull();
    expect(res.key).toBeNull();
    expect(res.done).toBe(false);
  });

  it('reload() repeats the last load, and does nothing before the first', async () => {
    const res = new AsyncResource<string>();
    expect(await res.reload()).toBeUndefined();
    let n = 0;
    await res.load('k', async (key) => ({ ok: true, value: `${key}${++n}` }));
    expect(await res.reload()).toBe('k2');
    expect(res.value).toBe('k2');
  });
});

describe('attempt and Generation', () => {
  it('attempt() passes Results through and converts throws', async () => {
    expect(await attempt(async () => ({ ok: true as const, value: 1 }))).toEqual({ ok: true, value: 1 });
    expect(await attempt(() => Promise.reject('boom'))).toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
  });
  it('a token is current until the next bump', () => {
    const g = new Generation();
    const t = g.current;
    expect(g.isCurrent(t)).toBe(true);
    g.bump();
    expect(g.isCurrent(t)).toBe(false);
  });
});
