import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseQueueUrl, redact } from './connection.js';
import { validateJob } from './job.js';

describe('queue URL', () => {
  it('accepts loopback without a password, and a password elsewhere', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6390').connection).toMatchObject({ host: '127.0.0.1', port: 6390, db: 0 });
    expect(parseQueueUrl('redis://localhost').connection.port).toBe(6379);
    const t = parseQueueUrl('rediss://lab:s3cret@queue.lab.example:6380/2');
    expect(t.connection).toMatchObject({ host: 'queue.lab.example', port: 6380, db: 2, username: 'lab', password: 's3cret', tls: { servername: 'queue.lab.example' } });
    expect(t.display).toBe('rediss://lab@queue.lab.example:6380/2');
    expect(parseQueueUrl('redis://:pw@10.0.0.5:6379', { tls: true }).tls).toBe(true);
  });

  it('refuses a password-less Redis off loopback, other schemes and bad URLs, by name', () => {
    expect(() => parseQueueUrl('redis://10.0.0.5:6379')).toThrow(/refusing a Redis without a password on 10\.0\.0\.5, which is not loopback/);
    expect(() => parseQueueUrl('redis://queue.lab.example')).toThrow(expect.objectContaining({ code: 'queue-insecure' }));
    expect(() => parseQueueUrl('http://127.0.0.1:6379')).toThrow(/only redis:\/\/ and rediss:\/\//);
    expect(() => parseQueueUrl('not a url')).toThrow(expect.objectContaining({ code: 'queue-insecure' }));
    expect(isLoopbackHost('127.8.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(redact('redis://u:hunter2@h:1')).toBe('redis://u:***@h:1');
  });
});

describe('job payloads', () => {
  const sha = 'a'.repeat(64);
  const good = {
    v: 1, caseId: '0123456789abcdef', caseFolder: '/cases/x', relPath: 'sub/clip.mp4', sha256: sha, size: 10, kind: 'video', errorCode: null, error: null,
    probe: { container: 'mov', codec: 'h264', pixelFormat: null, durationSec: 1, fps: 25, width: 64, height: 48, rotation: 0, frameCount: 25, frameCountSource: 'container', containerFrameCount: 25, audioCodecs: [], videoStreamIndex: 0 },
    frames: 4, models: {}, detector: { pnet: sha }, keys: { facesKey: sha, classifyKey: sha },
  };
  it('validates like IPC input: paths that leave the case folder, bad hashes and shapes are refused by field', () => {
    expect(validateJob(good).relPath).toBe('sub/clip.mp4');
    for (const relPath of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a//b', '']) {
      expect(() => validateJob({ ...good, relPath })).toThrow(/job\.relPath: .*is not a relative path inside the case folder/);
    }
    expect(() => validateJob({ ...good, sha256: 'xyz' })).toThrow(/job\.sha256: is not a SHA-256/);
    expect(() => validateJob({ ...good, frames: 0 })).toThrow(/job\.frames/);
    expect(() => validateJob({ ...good, models: { m: 'nope' } })).toThrow(/job\.models\.m: is not a SHA-256/);
    expect(() => validateJob({ ...good, probe: { ...good.probe, rotation: 45 } })).toThrow(/job\.probe\.rotation/);
    expect(() => validateJob('x')).toThrow(expect.objectContaining({ code: 'job-invalid' }));
  });
});
