/**
 * Entry of the engine's worker thread (web host, CLI serve): the workstation service on its
 * own event loop, spoken to over the parent port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createWorkstationService } from '../service/index.js';
import { serveEngine } from './serve-engine.js';
import { nodePortChannel, type NodePortLike } from './protocol.js';

if (!parentPort) throw new Error('worker-entry runs in a worker thread only');
const { home } = (workerData ?? {}) as { home?: string };
serveEngine(nodePortChannel(parentPort as unknown as NodePortLike), createWorkstationService({ home }));
