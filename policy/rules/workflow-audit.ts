import type { auditWorkflowText } from "../resolver";

export type { FileResult, FleetOptions, JobResult } from "../resolver";

/**
 * Signature of the resolver's entry point for one workflow text. The workflow rules take the
 * resolver as a parameter, so they stay pure and a test could pass another resolver.
 */
export type AuditWorkflowText = typeof auditWorkflowText;
