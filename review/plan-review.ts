/** What `terraform show -json <plan>` says about one resource (only the fields the review reads). */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly change: { readonly actions: readonly string[]; readonly before?: unknown; readonly after?: unknown; readonly after_unknown?: unknown };
}

/** What `terraform show -json <plan>` says (only the fields the review reads). */
export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
}

export type ChangeKind = 'create' | 'update' | 'replace' | 'destroy';

export interface ReviewedChange {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Top-level attributes that change (or become known only after apply); empty for create and destroy. */
  readonly attributes: readonly string[];
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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The top-level attributes an update or replacement changes: those whose value differs between
 * `before` and `after`, or that Terraform will know only after the apply. Null and empty values
 * ("", [], {}) count as the same at any depth: on an update the provider fills unset nested
 * arguments with empty defaults, which changes nothing in AWS.
 */
export function changedAttributes(change: ResourceChange['change']): string[] {
  const { before, after, after_unknown: unknown } = change;
  if (!isObject(before) || !isObject(after)) return [];
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...(isObject(unknown) ? Object.keys(unknown) : [])]);
  return [...names]
    .filter((name) => (isObject(unknown) && containsUnknown(unknown[name])) || !sameValue(before[name], after[name]))
    .sort();
}

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0) || (isObject(value) && !Array.isArray(value) && Object.keys(value).length === 0);

function sameValue(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  if (isObject(a) && isObject(b) && !Array.isArray(a) && !Array.isArray(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

/** after_unknown marks unknown values with `true`, at any depth. */
function containsUnknown(marker: unknown): boolean {
  if (marker === true) return true;
  if (Array.isArray(marker)) return marker.some(containsUnknown);
  return isObject(marker) && Object.values(marker).some(containsUnknown);
}

export function reviewPlan(plan: PlanJson): PlanReview {
  const changes: ReviewedChange[] = [];
  for (const resource of plan.resource_changes ?? []) {
    const kind = kindOf(resource.change.actions);
    if (!kind) continue;
    const attributes = kind === 'update' || kind === 'replace' ? changedAttributes(resource.change) : [];
    changes.push({ address: resource.address, type: resource.type, kind, attributes, protectedLoss: (kind === 'replace' || kind === 'destroy') && PROTECTED_TYPES.has(resource.type) });
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
    lines.push('', '| change | resource | attributes | |', '| --- | --- | --- | --- |');
    for (const change of review.changes) {
      lines.push(`| ${change.kind} | \`${change.address}\` | ${change.attributes.join(', ')} | ${change.protectedLoss ? 'PROTECTED' : ''} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
