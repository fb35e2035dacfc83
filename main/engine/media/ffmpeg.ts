/**
 * Finding ffmpeg and ffprobe. Order: DEEPSCAN_FFMPEG (an explicit choice wins and is never
 * silently replaced), the optional npm package `ffmpeg-static`, then PATH. Versions below 5
 * are refused: the decode command relies on 5.x options (-fps_mode, showinfo checksum=0,
 * image2 atomic_writing) and on 5.x display-matrix autorotation.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DeepscanError, errorMessage } from '../util/errors.js';
import { runTool } from './proc.js';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** ffmpeg's own version token, e.g. "5.1.9-0+deb12u1", "n6.1.1", "N-113245-g1a2b3c". */
  version: string;
  major: number;
  /** Minor version (decides -fps_mode vs -vsync, which 5.0 lacks); 0 when unknown. */
  minor: number;
  source: 'env' | 'ffmpeg-static' | 'system';
}

export const MIN_FFMPEG_MAJOR = 5;

export const INSTALL_ADVICE =
  'Install ffmpeg 5 or newer — Debian/Ubuntu: "sudo apt-get install ffmpeg"; macOS: "brew install ffmpeg"; ' +
  'Windows: "winget install Gyan.FFmpeg" (or unpack a build from https://ffmpeg.org/download.html and add its bin folder to PATH) — ' +
  'or set DEEPSCAN_FFMPEG to the full path of an ffmpeg 5+ binary (with ffprobe beside it, or set DEEPSCAN_FFPROBE too).';

type Env = Record<string, string | undefined>;

const cache = new Map<string, Promise<FfmpegTools>>();

/** Locates ffmpeg/ffprobe; the result is cached per (DEEPSCAN_FFMPEG, DEEPSCAN_FFPROBE, PATH). */
export function locateFfmpeg(env: Env = process.env): Promise<FfmpegTools> {
  const key = JSON.stringify([env.DEEPSCAN_FFMPEG ?? null, env.DEEPSCAN_FFPROBE ?? null, pathVar(env) ?? null]);
  let p = cache.get(key);
  if (!p) {
    p = locate(env);
    cache.set(key, p);
    // A failure is not cached: the investigator may install ffmpeg and retry without restarting.
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** For tests. */
export function clearFfmpegCache(): void {
  cache.clear();
}

async function locate(env: Env): Promise<FfmpegTools> {
  const exe = process.platform === 'win32' ? '.exe' : '';

  const fromEnv = env.DEEPSCAN_FFMPEG?.trim();
  if (fromEnv) {
    const ffmpeg = path.resolve(fromEnv);
    if (!(await isExecutable(ffmpeg))) {
      throw new DeepscanError('ffmpeg-missing', `DEEPSCAN_FFMPEG is set to "${fromEnv}", but no executable ffmpeg is there. ${INSTALL_ADVICE}`);
    }
    const sibling = path.join(path.dirname(ffmpeg), 'ffprobe' + (path.extname(ffmpeg) || exe));
    const ffprobe = (await envFfprobe(env)) ?? ((await isExecutable(sibling)) ? sibling : await which('ffprobe', env));
    if (!ffprobe) {
      throw new DeepscanError('ffmpeg-missing', `DEEPSCAN_FFMPEG is set to "${fromEnv}", but there is no ffprobe beside it or on PATH; set DEEPSCAN_FFPROBE to its path. ${INSTALL_ADVICE}`);
    }
    return checkVersions(ffmpeg, ffprobe, 'env');
  }

  const staticPath = await ffmpegStaticPath();
  if (staticPath) {
    const ffprobe = (await envFfprobe(env)) ?? (await which('ffprobe', env));
    if (!ffprobe) {
      throw new DeepscanError('ffmpeg-missing', `The bundled ffmpeg (${staticPath}) has no ffprobe, and none was found on PATH. ${INSTALL_ADVICE}`);
    }
    return checkVersions(staticPath, ffprobe, 'ffmpeg-static');
  }

  const ffmpeg = await which('ffmpeg', env);
  const ffprobe = (await envFfprobe(env)) ?? (await which('ffprobe', env));
  if (!ffmpeg || !ffprobe) {
    const what = !ffmpeg && !ffprobe ? 'ffmpeg and ffprobe were' : !ffmpeg ? 'ffmpeg was' : 'ffprobe was';
    throw new DeepscanError('ffmpeg-missing', `Deepscan needs ffmpeg to read video, but ${what} not found on PATH. ${INSTALL_ADVICE}`);
  }
  return checkVersions(ffmpeg, ffprobe, 'system');
}

async function envFfprobe(env: Env): Promise<string | null> {
  const p = env.DEEPSCAN_FFPROBE?.trim();
  if (!p) return null;
  const abs = path.resolve(p);
  if (!(await isExecutable(abs))) {
    throw new DeepscanError('ffmpeg-missing', `DEEPSCAN_FFPROBE is set to "${p}", but no executable ffprobe is there. ${INSTALL_ADVICE}`);
  }
  return abs;
}

/** The optional `ffmpeg-static` package's binary, if the package is installed and has one. */
async function ffmpegStaticPath(): Promise<string | null> {
  try {
    const name = 'ffmpeg-static'; // a variable, so TypeScript does not require the package's types
    const mod = (await import(name)) as { default?: unknown };
    let p = typeof mod.default === 'string' ? mod.default : null;
    if (!p) return null;
    // Inside a packaged Electron app the binary must be run from the unpacked copy.
    p = p.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
    return (await isExecutable(p)) ? p : null;
  } catch {
    return null;
  }
}

async function checkVersions(ffmpeg: string, ffprobe: string, source: FfmpegTools['source']): Promise<FfmpegTools> {
  const v = await toolVersion(ffmpeg, 'ffmpeg');
  const pv = await toolVersion(ffprobe, 'ffprobe');
  for (const [tool, file, ver] of [['ffmpeg', ffmpeg, v], ['ffprobe', ffprobe, pv]] as const) {
    if (ver.major < MIN_FFMPEG_MAJOR) {
      throw new DeepscanError('ffmpeg-too-old', `${tool} ${ver.version} (${file}) is too old: Deepscan needs version ${MIN_FFMPEG_MAJOR} or newer. ${INSTALL_ADVICE}`);
    }
  }
  return { ffmpeg, ffprobe, version: v.version, major: v.major, minor: v.minor, source };
}

async function toolVersion(file: string, tool: 'ffmpeg' | 'ffprobe'): Promise<ParsedVersion> {
  let out: string;
  try {
    const r = await runTool(file, ['-version']);
    out = r.stdout + r.stderr;
    if (r.code !== 0) throw new Error(`exit code ${r.code}`);
  } catch (e) {
    throw new DeepscanError('ffmpeg-missing', `${tool} at "${file}" could not be run (${errorMessage(e)}). ${INSTALL_ADVICE}`, { cause: e });
  }
  const v = parseFfmpegVersion(out, tool);
  if (!v) throw new DeepscanError('ffmpeg-missing', `"${file}" does not identify itself as ${tool}. ${INSTALL_ADVICE}`);
  return v;
}

export interface ParsedVersion {
  version: string;
  major: number;
  minor: number;
}

/**
 * Parses `ffmpeg -version` output. Release builds say "ffmpeg version 5.1.9-…" or "n6.1.1";
 * git builds ("N-113245-g…") carry no number, so the major is derived from libavcodec
 * (ffmpeg N ships libavcodec N+54: 5.x→59, 6.x→60, 7.x→61; 5.1 is libavcodec 59.37).
 */
export function parseFfmpegVersion(text: string, tool: 'ffmpeg' | 'ffprobe' = 'ffmpeg'): ParsedVersion | null {
  const m = new RegExp(`^${tool} version (\\S+)`, 'm').exec(text);
  if (!m) return null;
  const version = m[1];
  const rel = /^n?(\d+)\.(\d+)/.exec(version);
  if (rel) return { version, major: Number(rel[1]), minor: Number(rel[2]) };
  const lib = /libavcodec\s+(\d+)\.\s*(\d+)/.exec(text);
  if (lib) {
    const lavc = Number(lib[1]);
    const major = lavc - 54;
    return { version, major, minor: major === 5 && Number(lib[2]) >= 37 ? 1 : 0 };
  }
  return { version, major: 0, minor: 0 };
}

function pathVar(env: Env): string | undefined {
  if (env.PATH !== undefined) return env.PATH;
  // Windows spells it "Path"; a plain object copy of process.env is case-sensitive.
  const k = Object.keys(env).find((x) => x.toUpperCase() === 'PATH');
  return k ? env[k] : undefined;
}

/** Looks a command up on PATH (with PATHEXT on Windows), returning its absolute path. */
async function which(cmd: string, env: Env): Promise<string | null> {
  const dirs = (pathVar(env) ?? '').split(path.delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = path.resolve(dir, cmd + ext.toLowerCase());
      if (await isExecutable(p)) return p;
    }
  }
  return null;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    if (process.platform !== 'win32') await fs.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
