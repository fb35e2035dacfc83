/**
 * Evidence playback streaming: byte ranges from the real web host over the real service (a
 * synthetic video), and the refusals (outside the case, unregistered, changed, bad ranges)
 * against a stub evidence list, which can describe rows the real service would never register.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, EvidenceRow } from '../../common/api.js';
import { ok } from '../../common/result.js';
import { createWorkstationService, type WorkstationService } from '../engine/service/index.js';
import { makeTestVideo } from '../../test/helpers/make-media.js';
import { tempDir } from '../../test/helpers/paths.js';
import { openEvidenceStream, parseRange, StreamRefused } from './evidence-stream.js';
import { startWebHost, type WebHost } from './server.js';

let work: string;
let folder: string;
let service: WorkstationService;
let host: WebHost;
let caseId: string;
let clip: EvidenceRow;

beforeAll(async () => {
  work = tempDir('deepscan-stream-');
  folder = join(work, 'evidence');
  mkdirSync(folder);
  makeTestVideo(join(folder, 'clip.mp4'), { width: 96, height: 64, frames: 6 });
  service = createWorkstationService({ home: join(work, 'home') });
  host = await startWebHost({ service, rendererDir: null });
  const opened = await service.openCase({ folder });
  if (!opened.ok) throw new Error(opened.error.message);
  caseId = opened.value.id;
  const list = await service.listEvidence(caseId);
  if (!list.ok) throw new Error(list.error.message);
  clip = list.value.find((e) => e.path === 'clip.mp4') as EvidenceRow;
});

afterAll(async () => {
  await host?.close();
  await service?.cancelAll();
  rmSync(work, { recursive: true, force: true });
});

const urlOf = (id: number, token: string | null = host.token) => `${host.origin}/api/evidence/${caseId}/${id}${token ? `?token=${token}` : ''}`;

describe('GET /api/evidence/<case>/<id> (web host)', () => {
  it('answers a byte range with 206, Content-Range and the file\'s own bytes', async () => {
    const bytes = readFileSync(join(folder, 'clip.mp4'));
    const res = await fetch(urlOf(clip.id), { headers: { Range: 'bytes=10-49' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-range')).toBe(`bytes 10-49/${bytes.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(10, 50))).toBe(true);
    // Open-ended and suffix ranges, and the whole file without a Range header.
    const tail = await fetch(urlOf(clip.id), { headers: { Range: `bytes=${bytes.length - 5}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 5))).toBe(true);
    const whole = await fetch(urlOf(clip.id));
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses a range past the end with 416 and the size', async () => {
    const res = await fetch(urlOf(clip.id), { headers: { Range: `bytes=${clip.size}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${clip.size}`);
  });

  it('requires the session token and only reads (no POST)', async () => {
    expect((await fetch(urlOf(clip.id, null))).status).toBe(401);
    expect((await fetch(urlOf(clip.id, 'wrong'))).status).toBe(401);
    expect((await fetch(urlOf(clip.id), { method: 'POST' })).status).toBe(405);
  });

  it('refuses evidence the case did not register', async () => {
    const res = await fetch(urlOf(clip.id + 999));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('refuses a file changed since registration (its size no longer matches), without writing it', async () => {
    const file = join(folder, 'clip.mp4');
    appendFileSync(file, 'x');
    try {
      const res = await fetch(urlOf(clip.id), { headers: { Range: 'bytes=0-9' } });
      expect(res.status).toBe(409);
    } finally {
      // Restore the registered bytes (test copy only) so the other tests see the registered file.
      const b = readFileSync(file);
      writeFileSync(file, b.subarray(0, b.length - 1));
    }
    expect(statSync(file).size).toBe(clip.size);
  });
});

describe('openEvidenceStream checks', () => {
  const row = (over: Partial<EvidenceRow>): EvidenceRow => ({ ...clip, id: 7, ...over });
  const stub = (rows: EvidenceRow[], caseFolder = folder) => ({
    getCase: () => Promise.resolve(ok({ id: 'c1', folder: caseFolder } as CaseSummary)),
    listEvidence: () => Promise.resolve(ok(rows)),
  });
  const refusal = async (p: Promise<unknown>): Promise<number> => {
    try {
      await p;
      return 0;
    } catch (e) {
      if (e instanceof StreamRefused) return e.status;
      throw e;
    }
  };

  it('refuses a registered path that leaves the case folder, by .. or by a symlink', async () => {
    writeFileSync(join(work, 'secret.mp4'), 'TOP SECRET');
    symlinkSync(join(work, 'secret.mp4'), join(folder, 'link.mp4'));
    try {
      expect(await refusal(openEvidenceStream(stub([row({ path: '../secret.mp4', size: 10 })]), 'c1', 7, undefined))).toBe(403);
      expect(await refusal(openEvidenceStream(stub([row({ path: 'link.mp4', size: 10 })]), 'c1', 7, undefined))).toBe(403);
    } finally {
      rmSync(join(folder, 'link.mp4'));
    }
  });

  it('refuses evidence whose integrity is not ok, and plays it when it is', async () => {
    expect(await refusal(openEvidenceStream(stub([row({ integrity: 'changed' })]), 'c1', 7, undefined))).toBe(409);
    expect(await refusal(openEvidenceStream(stub([row({ integrity: 'missing' })]), 'c1', 7, undefined))).toBe(409);
    const out = await openEvidenceStream(stub([row({})]), 'c1', 7, 'bytes=0-3', true);
    expect(out.status).toBe(206);
    expect(out.headers['Content-Length']).toBe('4');
  });

  it('parses single ranges and refuses the rest', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(() => parseRange('bytes=0-1,5-6', 100)).toThrow(StreamRefused);
    expect(() => parseRange('bytes=50-10', 100)).toThrow(StreamRefused);
    expect(() => parseRange('items=0-1', 100)).toThrow(StreamRefused);
  });
});
