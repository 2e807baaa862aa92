/** What `terraform show -json <plan>` says about each resource (only the fields the review reads). */
export interface PlanJson {
  readonly resource_changes?: ReadonlyArray<{ readonly address: string; readonly type: string; readonly change: { readonly actions: readonly string[] } }>;
}

export type ChangeKind = 'create' | 'update' | 'replace' | 'destroy';

export interface ReviewedChange {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** A stateful or traffic-bearing resource that would be destroyed or replaced. */
  readonly protectedLoss: boolean;
}

export interface PlanReview {
  readonly changes: readonly ReviewedChange[];
  readonly counts: Readonly<Record<ChangeKind, number>>;
  readonly protectedLosses: readonly ReviewedChange[];
}

/** Buckets, the load balancer and its listeners, DNS records, the auto scaling group: losing one loses data or traffic. */
export const PROTECTED_TYPES: ReadonlySet<string> = new Set(['aws_s3_bucket', 'aws_lb', 'aws_lb_listener', 'aws_route53_record', 'aws_autoscaling_group']);

function kindOf(actions: readonly string[]): ChangeKind | undefined {
  const key = actions.join(',');
  if (key === 'create') return 'create';
  if (key === 'update') return 'update';
  if (key === 'delete') return 'destroy';
  if (key === 'delete,create' || key === 'create,delete') return 'replace';
  return undefined; // no-op, read
}

export function reviewPlan(plan: PlanJson): PlanReview {
  const changes: ReviewedChange[] = [];
  for (const resource of plan.resource_changes ?? []) {
    const kind = kindOf(resource.change.actions);
    if (!kind) continue;
    changes.push({ address: resource.address, type: resource.type, kind, protectedLoss: (kind === 'replace' || kind === 'destroy') && PROTECTED_TYPES.has(resource.type) });
  }
  const counts = { create: 0, update: 0, replace: 0, destroy: 0 };
  for (const change of changes) counts[change.kind]++;
  return { changes, counts, protectedLosses: changes.filter((change) => change.protectedLoss) };
}

/** A short Markdown report: the counts, then one row per changed resource, protected losses flagged. */
export function formatReview(review: PlanReview): string {
  const { create, update, replace, destroy } = review.counts;
  const lines = [`**Plan review**: ${create} to create, ${update} to update, ${replace} to replace, ${destroy} to destroy.`];
  if (review.protectedLosses.length > 0) {
    lines.push('', `**${review.protectedLosses.length} protected resource(s) would be destroyed or replaced** (buckets, load balancer, listeners, DNS records, auto scaling group).`);
  }
  if (review.changes.length > 0) {
    lines.push('', '| change | resource | |', '| --- | --- | --- |');
    for (const change of review.changes) lines.push(`| ${change.kind} | \`${change.address}\` | ${change.protectedLoss ? 'PROTECTED' : ''} |`);
  }
  return `${lines.join('\n')}\n`;
}
