#!/usr/bin/env node
/**
 * The `deepscan` command line. Thin: parses arguments and prints; all work is in main/engine.
 */
import { pathToFileURL } from 'node:url';
import { cmdAnalyze, cmdAudit, cmdInfo, HELP } from './cli/commands.js';
import { UsageError } from './cli/args.js';
import { cmdModels } from './cli/models.js';
import { cmdCompare } from './cli/compare.js';
import { cmdDataset } from './cli/dataset.js';
import { cmdHeatmap } from './cli/heatmap.js';
import { cmdServe } from './cli/serve.js';
import { cmdReport } from './cli/report.js';
import { cmdWorker } from './cli/worker.js';
import { cmdDemo } from './cli/demo.js';
import { isDeepscanError } from './engine/util/errors.js';
import { softwareVersion } from './engine/util/version.js';

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze':
        return await cmdAnalyze(rest, out);
      case 'info':
        return await cmdInfo(rest, out);
      case 'audit':
        return await cmdAudit(rest, out);
      case 'models':
        return await cmdModels(rest, out);
      case 'compare':
        return await cmdCompare(rest, out);
      case 'heatmap':
        return await cmdHeatmap(rest, out);
      case 'dataset':
        return await cmdDataset(rest, out);
      case 'serve':
        return await cmdServe(rest, out);
      case 'report':
        return await cmdReport(rest, out);
      case 'worker':
        return await cmdWorker(rest, out);
      case 'demo':
        return await cmdDemo(rest, out);
      case '--version':
      case '-v':
        out.write(`deepscan ${softwareVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out.write(`${HELP.main}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`deepscan: ${e.message}\n\n${HELP.main}\n`);
      return 2;
    }
    if (isDeepscanError(e)) {
      process.stderr.write(`deepscan: ${e.message}\n`);
      // An output path inside the evidence folder is a wrong argument, refused before any work.
      // So is a queue URL refused as insecure.
      return e.code === 'cancelled' ? 130 : e.code === 'output-inside-evidence' || e.code === 'queue-insecure' ? 2 : 1;
    }
    process.stderr.write(`deepscan: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly || process.env.DEEPSCAN_CLI_ENTRY === '1') {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
