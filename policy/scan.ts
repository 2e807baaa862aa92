import { parse } from 'yaml';
import { z } from 'zod';

/** One entry of policy/checkov-skips.yaml. */
export interface Skip {
  readonly check: string;
  /** The stacks it applies to. */
  readonly stacks: readonly string[];
  /** Only failing resources whose address contains one of these (construct paths such as `LoadBalancer_HttpIn`). */
  readonly resources: readonly string[];
  readonly reason: string;
}

export interface Finding {
  readonly check: string;
  readonly name: string;
  readonly resource: string;
}

export interface StackScan {
  readonly stack: string;
  readonly passed: number;
  /** Failed checks no skip covers. */
  readonly failures: readonly Finding[];
  /** Failed checks a skip covers, with its reason. */
  readonly skipped: ReadonlyArray<Finding & { readonly reason: string }>;
}

const skipSchema = z.array(
  z.strictObject({
    check: z.string().regex(/^CKV2?_AWS_\d+$/, 'must be a checkov AWS check id such as CKV_AWS_18'),
    stacks: z.array(z.string().min(1)).min(1).optional(),
    resources: z.array(z.string().min(3)).min(1),
    reason: z.string().trim().min(20, 'must say why, in a sentence').refine((reason) => !reason.includes('\n'), 'must be one line'),
  }),
);

/** Parses and checks the skip list: each entry a check id and a one-line reason; named stacks must exist. */
export function loadSkips(text: string, knownStacks: readonly string[]): Skip[] {
  const parsed = skipSchema.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`policy/checkov-skips.yaml: ${issue.path.join('.')}: ${issue.message}`);
  }
  const seen = new Set<string>();
  return parsed.data.map((entry, index) => {
    for (const stack of entry.stacks ?? []) {
      if (!knownStacks.includes(stack)) throw new Error(`policy/checkov-skips.yaml: ${index}.stacks: ${stack} is not a synthesized stack (${knownStacks.join(', ')})`);
    }
    if (seen.has(entry.check)) throw new Error(`policy/checkov-skips.yaml: ${index}.check: ${entry.check} is listed twice`);
    seen.add(entry.check);
    return { check: entry.check, stacks: entry.stacks ?? [...knownStacks], resources: entry.resources, reason: entry.reason };
  });
}

const reportSchema = z.object({
  results: z.object({
    failed_checks: z.array(z.object({ check_id: z.string(), check_name: z.string(), resource: z.string() })).default([]),
  }),
  summary: z.object({ passed: z.number(), failed: z.number() }),
});

/** Splits one stack's checkov JSON report into failures and reasoned skips. */
export function scanStack(stack: string, report: unknown, skips: readonly Skip[]): StackScan {
  // checkov answers a file it could not read (or found nothing in) with an empty list; every stack has
  // resources, so that is a broken scan, never a clean one.
  if (Array.isArray(report) && report.length === 0) throw new Error(`checkov found nothing to check in ${stack}: its parser did not read the stack`);
  const { results, summary } = reportSchema.parse(report);
  const failures: Finding[] = [];
  const skipped: Array<Finding & { reason: string }> = [];
  for (const failed of results.failed_checks) {
    const finding = { check: failed.check_id, name: failed.check_name, resource: failed.resource };
    const skip = skips.find(
      (candidate) => candidate.check === failed.check_id && candidate.stacks.includes(stack) && candidate.resources.some((resource) => failed.resource.includes(resource)),
    );
    if (skip) skipped.push({ ...finding, reason: skip.reason });
    else failures.push(finding);
  }
  return { stack, passed: summary.passed, failures, skipped };
}
