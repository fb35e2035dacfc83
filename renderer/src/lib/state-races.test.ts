/**
 * The state classes read through AsyncResource, so a slow answer for what the examiner left
 * never overwrites what they went to. One race per class that can meet it in the UI.
 */
import { describe, expect, it } from 'vitest';
import type { AuditView, DeepscanClient, ReviewQueueItem, VideoDetail } from '../../../common/api.js';
import type { Result } from '../../../common/result.js';
import { AuditState } from './audit-state.svelte.js';
import { ReviewState } from './review-state.svelte.js';
import { VideoState } from './video-state.svelte.js';

/** Answers of one API method, released by the test in any order. */
function held<T>() {
  const waiting: ((r: Result<T>) => void)[] = [];
  const call = () => new Promise<Result<T>>((answer) => waiting.push(answer));
  return { call, answer: (i: number, value: T) => waiting[i]({ ok: true, value }) };
}

const client = (methods: Partial<Record<keyof DeepscanClient, unknown>>) => methods as unknown as DeepscanClient;
const video = (id: number): VideoDetail => ({ evidenceId: id, frames: [] }) as unknown as VideoDetail;

describe('state classes drop superseded answers', () => {
  it('VideoState: the video opened last is the one shown, whatever answers first', async () => {
    const get = held<VideoDetail>();
    const vs = new VideoState(client({ getVideo: get.call, getFramePreview: async () => ({ ok: true, value: '' }) }));
    const a = vs.load('c', 1);
    const b = vs.load('c', 2);
    get.answer(1, video(2));
    get.answer(0, video(1));
    expect(await b).toBe(true);
    expect(await a).toBe(false);
    expect(vs.evidenceId).toBe(2);
    expect((vs.detail as unknown as { evidenceId: number }).evidenceId).toBe(2);
    expect(vs.loading).toBe(false);
  });

  it('ReviewState: a re-read at a new threshold wins over the slower old one', async () => {
    const get = held<ReviewQueueItem[]>();
    const rs = new ReviewState(client({ getReviewQueue: get.call }), { decide: async () => null });
    const item = (faceId: number) => ({ faceId }) as ReviewQueueItem;
    const old = rs.load('c', 0.5);
    const fresh = rs.load('c', 0.9);
    get.answer(1, [item(7)]);
    await fresh;
    get.answer(0, [item(1), item(2), item(3)]);
    await old;
    expect(rs.items.map((i) => i.faceId)).toEqual([7]);
  });

  it('AuditState: clearing on case close drops the log still on its way', async () => {
    const get = held<AuditView>();
    const au = new AuditState(client({ getAudit: get.call }));
    const p = au.load('c');
    expect(au.loading).toBe(true);
    au.clear();
    get.answer(0, { items: [] } as unknown as AuditView);
    await p;
    expect(au.view).toBeNull();
    expect(au.loadedFor).toBeNull();
    expect(au.loading).toBe(false);
  });
});
