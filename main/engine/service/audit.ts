import type { AuditView } from '../../../common/api.js';
import { readAudit } from '../store/audit.js';
import { verifyCaseAudit } from '../store/verify-audit.js';
import type { CaseStore } from '../store/case-store.js';

/** The case's audit log, oldest first, verified: hash chain, signatures, result digests. */
export function auditView(store: CaseStore): AuditView {
  const v = verifyCaseAudit(store.db, { trustedKeyIds: store.keyring?.trustedKeyIds });
  return {
    ok: v.ok, entries: v.entries, headHash: v.headHash, firstBadSeq: v.firstBadSeq, problem: v.problem,
    keyFingerprint: v.keyFingerprint, installationKey: v.installationKey, problems: v.problems,
    items: readAudit(store.db).map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details, hash: e.hash })),
  };
}
