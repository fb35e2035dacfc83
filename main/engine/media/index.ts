/** The media layer: locate ffmpeg, probe files, choose frames, decode them. */
export { locateFfmpeg, clearFfmpegCache, parseFfmpegVersion, INSTALL_ADVICE, MIN_FFMPEG_MAJOR } from './ffmpeg.js';
export type { FfmpegTools, ParsedVersion } from './ffmpeg.js';
export { probeMedia, countDecodedFrames } from './probe.js';
export type { MediaProbe } from './probe.js';
export { sampleFrameIndices } from './sample.js';
export { decodeFrames } from './decode.js';
export type { DecodedFrame, DecodeOptions, FramesMissingError } from './decode.js';
