/**
 * Per-call cost of a thumbnail-style read (getFaceCrop) with a connection opened per call (how
 * the service worked before the per-case connection cache: pragmas, schema check, keyring
 * load, cold statement cache each time) and through the service's cached read-only connection.
 *
 *   npx tsx scripts/bench-case-connections.ts [calls]
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildAuditCase } from '../test/helpers/audit-case.js';
import { tempDir } from '../test/helpers/paths.js';
import { openCaseStore } from '../main/engine/service/common.js';
import { createWorkstationService } from '../main/engine/service/index.js';
import { faceCropUrl } from '../main/engine/service/video.js';
import { listFacesLean } from '../main/engine/store/evidence-repo.js';

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 500);
  const work = tempDir('deepscan-bench-conn-');
  try {
    const k = await buildAuditCase(work);
    const caseId = k.c.info.id;
    const faceId = listFacesLean(k.c.store, k.clipId)[0].id;
    k.c.store.close();

    const time = async (fn: () => unknown) => {
      for (let i = 0; i < 20; i++) await fn(); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await fn();
      return (performance.now() - t0) / calls;
    };
    const perCall = await time(() => {
      const store = openCaseStore(k.home, caseId, 'read');
      try {
        return faceCropUrl(store, faceId);
      } finally {
        store.close();
      }
    });
    const service = createWorkstationService({ home: k.home });
    const cached = await time(async () => {
      const r = await service.getFaceCrop(caseId, faceId);
      if (!r.ok) throw new Error(r.error.message);
    });
    await service.cancelAll();
    console.log(`getFaceCrop over ${calls} calls: connection per call ${perCall.toFixed(3)} ms, cached connection ${cached.toFixed(3)} ms (${(perCall / cached).toFixed(1)}×)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
