import { isIP } from 'node:net';
import type { RedisOptions } from 'bullmq';
import { DeepscanError } from '../util/errors.js';

/**
 * Where the job queue lives. The queue carries evidence paths, hashes, parameters and results
 * (frames, crops, scores), never the evidence bytes; still, anyone who can reach the Redis can
 * read results and forge jobs, so a Redis without a password is accepted only on loopback.
 */

/** One queue for every case: workers need not know case ids; job ids start with the case id. */
export const QUEUE_NAME = 'deepscan-items';

export interface QueueTarget {
  connection: RedisOptions;
  /** host:port (and user), for messages: never the password. */
  display: string;
  tls: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Parses `redis://[user:password@]host:port[/db]` (`rediss://` or `tls`: TLS). Refuses anything
 * else, and a password-less URL for a host other than loopback (`queue-insecure`).
 */
export function parseQueueUrl(url: string, opts: { tls?: boolean } = {}): QueueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DeepscanError('queue-insecure', `--queue "${redact(url)}" is not a URL; expected redis://[user:password@]host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new DeepscanError('queue-insecure', `--queue ${redact(url)}: only redis:// and rediss:// are supported (got ${u.protocol})`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new DeepscanError('queue-insecure', `--queue ${redact(url)} names no host`);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new DeepscanError('queue-insecure', `--queue ${redact(url)}: the database number must be 0–15`);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  if (!password && !isLoopbackHost(host)) {
    throw new DeepscanError('queue-insecure',
      `--queue ${redact(url)}: refusing a Redis without a password on ${host}, which is not loopback; anyone who reaches it could read results and forge jobs (use redis://user:password@${host}:${port})`);
  }
  const tls = opts.tls === true || u.protocol === 'rediss:';
  return {
    // Reconnect within seconds of Redis coming back (BullMQ's default backs off to 20 s).
    connection: { host, port, db, username, password, retryStrategy: (times: number) => Math.min(500 * times, 5000), ...(tls ? { tls: { servername: isIP(host) ? undefined : host } } : {}) },
    display: `${tls ? 'rediss' : 'redis'}://${username ? `${username}@` : ''}${host.includes(':') ? `[${host}]` : host}:${port}${db ? `/${db}` : ''}`,
    tls,
  };
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A named error for a Redis that cannot be reached (or refused us). */
export function queueUnavailable(target: QueueTarget, cause: unknown): DeepscanError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DeepscanError('queue-unavailable', `the job queue at ${target.display} is unavailable (${why}); waiting for it to come back`, { cause });
}
