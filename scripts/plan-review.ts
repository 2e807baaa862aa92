// Reviews a saved Terraform plan: prints the Markdown review and writes it, with the summary as
// JSON, beside the plan. Exits 3 when a protected resource would be destroyed or replaced, unless
// ALLOW_DESTROY=1. Usage: tsx scripts/plan-review.ts <plan.json>   (from `terraform show -json`)
import { readFileSync, writeFileSync } from 'node:fs';
import { formatReview, reviewPlan } from '../review/plan-review.js';

const planPath = process.argv[2];
if (!planPath) {
  process.stderr.write('usage: tsx scripts/plan-review.ts <plan.json>\n');
  process.exit(2);
}
const review = reviewPlan(JSON.parse(readFileSync(planPath, 'utf8')));
const report = formatReview(review);
process.stdout.write(report);
writeFileSync(planPath.replace(/\.json$/, '.review.md'), report);
writeFileSync(planPath.replace(/\.json$/, '.review.json'), `${JSON.stringify(review, null, 2)}\n`);
if (review.protectedLosses.length > 0 && process.env.ALLOW_DESTROY !== '1') {
  process.stderr.write('refusing: protected resources would be destroyed or replaced; set ALLOW_DESTROY=1 to accept\n');
  process.exit(3);
}
