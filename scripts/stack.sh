#!/usr/bin/env bash
# The old project's commands, through cdktf as users run it.
# Usage: scripts/stack.sh bootstrap|create|update|rollback|patch|unlock|delete|plan|apply|local|status|logs   (ENV=dev|prod, LOCAL=1 for the emulator)
#   bootstrap  the state-backend stack (the S3 bucket holding every environment's state, and its own);
#              idempotent from any clone: it creates the bucket, imports one that exists without its
#              state, or changes nothing (scripts/state-bucket.ts tells which)
#   create     bootstrap, build the release, deploy webapp-$ENV, then the release step
#   update     build the release, deploy webapp-$ENV, then the release step: an instance refresh to the
#              new launch template version with auto rollback, followed to the end (scripts/release.ts)
#   rollback   the release step back to the launch template version before the one the fleet runs
#   patch      the patch path: deploy webapp-$ENV (a newer Debian image is a new template version),
#              then replace every instance, launch before terminate; new instances boot fully patched
#   unlock     clear a state lock a killed run left: LOCK_ID=<id> (the refusal message gives it)
#   delete     destroy webapp-$ENV, first switching the load balancer's deletion protection off where it
#              is on (a targeted apply of var.deletion_protection=false); the state bucket and its history are kept
#   plan       synth, `terraform plan` saved to cdktf.out/stacks/webapp-$ENV/plan.tfplan, its JSON
#              (plan.json) and the review (plan.review.md / .json); exits 3 when a protected
#              resource would be destroyed or replaced, unless ALLOW_DESTROY=1 (the refused plan file
#              is removed)
#   apply      apply exactly the plan `plan` saved (no synth, no new plan; Terraform refuses it once
#              the state has moved on), then the release step: STEP=roll (default) or patch
#   local      LOCAL=1: the main job. Bootstrap, then webapp-$ENV the way the workflow deploys production:
#              plan (saved, its review printed), apply exactly that plan, the release step
#   status     one screen: releases shipped and serving, capacity, instances, scaling activities, alarms
#   logs       each instance's console output (ec2:GetConsoleOutput); INSTANCE=<id> for one
# LOCAL=1 starts moto's server mode from the project's .venv on 127.0.0.1:${LOCAL_PORT:-4566}
# (unless one answers there already) and points every AWS call and the state backend at it.
set -euo pipefail
cd "$(dirname "$0")/.."
# set -e does not act inside a function called before && or ||: the functions below return on
# each failure themselves, so a chain of steps stops at the first that fails.

# Phase marks for npm run bench:local (STACK_TIMINGS=1): "stack-timing <epoch ms> <phase>" on stderr.
mark() { if [ "${STACK_TIMINGS:-}" = 1 ]; then echo "stack-timing $(date +%s%3N) $1" >&2; fi; }
mark start

action=${1:?usage: scripts/stack.sh bootstrap|create|update|rollback|patch|unlock|delete|plan|apply|local|status|logs}
[ "$action" = local ] && export LOCAL=1
ENV=${ENV:-dev}
export ENV CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$PWD/terraform.tfrc"
# `terraform providers lock` needs the registry; the provider comes from the local mirror instead.
flags=(--skip-provider-lock --auto-approve)
out=cdktf.out

if [ "${LOCAL:-}" = 1 ]; then
  port=${LOCAL_PORT:-4566}
  export LOCAL_AWS_ENDPOINT="http://127.0.0.1:$port"
  # The emulator accepts any key; never let a real credential or the instance metadata service in.
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
  unset AWS_PROFILE AWS_SESSION_TOKEN
  out=cdktf.local.out
  flags+=(--output "$out")
  if ! curl -sf "$LOCAL_AWS_ENDPOINT/moto-api/" >/dev/null 2>&1; then
    # Reading commands read the emulator a deploy filled; a fresh one would have nothing to show.
    case "$action" in status | logs) echo "no emulator answers at $LOCAL_AWS_ENDPOINT: make local starts one and deploys to it" >&2; exit 1 ;; esac
    scripts/setup-venv.sh
    mkdir -p .local
    # ACM certificates stay PENDING_VALIDATION for 60 s in moto unless told otherwise.
    MOTO_ACM_VALIDATION_WAIT=0 nohup .venv/bin/moto_server -H 127.0.0.1 -p "$port" >.local/moto.log 2>&1 &
    echo $! >.local/moto.pid
    for _ in $(seq 100); do curl -sf "$LOCAL_AWS_ENDPOINT/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
    curl -sf "$LOCAL_AWS_ENDPOINT/moto-api/" >/dev/null || { echo "moto did not start; see .local/moto.log" >&2; exit 1; }
    echo "moto listening on $LOCAL_AWS_ENDPOINT (pid $(cat .local/moto.pid), log .local/moto.log)" >&2
  fi
  mark "emulator answering (venv checked, moto started if none ran)"
fi

# The CLI from node_modules directly: npx's lookup costs about 0.7 s a call.
cdktf() { node_modules/.bin/cdktf "$@"; }
# The TypeScript commands below run bundled (scripts/build-commands.mjs): node starts each in about
# half a second, where tsx compiled them and resolved the AWS SDK's modules in two.
node scripts/build-commands.mjs
run() { node "dist/commands/$1.mjs" "${@:2}"; }

project=$(node -p 'JSON.parse(require("fs").readFileSync("config/project.json", "utf8")).project')
state_key="$project/$ENV/terraform.tfstate"

# Refuses, saying who holds it since when and how to clear it, when a killed run left the lock behind.
check_lock() { run state-bucket lock-check "$1"; }

# Leaves every stack synthesized in $out (each path's last synth is the plain one, S3 backends).
bootstrap() {
  local status
  status=$(run state-bucket bootstrap-status) || return 1
  case "$status" in
    managed)
      check_lock "$project/state-backend/terraform.tfstate" && cdktf deploy state-backend "${flags[@]}" ;;
    adopt)
      echo "the state bucket exists without the bootstrap's state: importing it into Terraform" >&2
      STATE_BACKEND_BOOTSTRAP=adopt cdktf deploy state-backend "${flags[@]}" ;;
    absent)
      # The bucket cannot hold the state that creates it: a local file first, moved into it at once.
      # A working directory left from a bucket that is gone (an emulator since stopped) would make
      # terraform init refuse the change of backend.
      rm -rf "$out/stacks/state-backend/.terraform"
      mkdir -p .local
      STATE_BACKEND_BOOTSTRAP=create cdktf deploy state-backend "${flags[@]}" || return 1
      cdktf synth --output "$out" >/dev/null || return 1
      terraform -chdir="$out/stacks/state-backend" init -migrate-state -force-copy -input=false -no-color >/dev/null || return 1
      rm -f .local/state-backend.first.tfstate .local/state-backend.first.tfstate.backup
      echo "the bootstrap's state now lives in the state bucket: any clone can run make create_stack" >&2 ;;
    *) echo "unexpected bootstrap status: $status" >&2; return 1 ;;
  esac
}

# Deploys webapp-$ENV, then the release step: `roll` (onto a new release) or `patch` (every instance).
deploy() {
  check_lock "$state_key" && cdktf deploy "webapp-$ENV" "${flags[@]}" && mark "cdktf deploy webapp-$ENV (release build, synth, init, apply)" &&
    run release "$1" && mark "release step"
}

# The hosted zone is the user's, looked up by name; in the emulator it must be made first.
emulator_zone() {
  [ "${LOCAL:-}" = 1 ] || return 0
  run emulator-hosted-zone || return 1
  mark "hosted zone in the emulator"
}

create() {
  emulator_zone && bootstrap && mark "bootstrap (the state-backend stack)" && deploy roll
}

unlock() {
  [ -n "${LOCK_ID:-}" ] || { echo "LOCK_ID is empty: give the lock ID the refusal printed (make unlock ENV=$ENV LOCK_ID=...)" >&2; return 2; }
  local dir
  dir=$(synth_and_init) || return 1
  terraform -chdir="$dir" force-unlock -force "$LOCK_ID"
}

# Initializes webapp-$ENV's directory for plain terraform commands, after a synth unless this run
# made one already (`synth_and_init synthesized`); prints the directory.
synth_and_init() {
  if [ "${1:-}" != synthesized ]; then cdktf synth --output "$out" >/dev/null || return 1; fi
  local dir="$out/stacks/webapp-$ENV"
  terraform -chdir="$dir" init -input=false -reconfigure -no-color >/dev/null || return 1
  echo "$dir"
}

# `plan synthesized`: this run synthesized the stacks already (the bootstrap does).
plan() {
  check_lock "$state_key" || return 1
  local dir
  dir=$(synth_and_init "${1:-}") || return 1
  mark "plan: synth and init"
  terraform -chdir="$dir" plan -input=false -no-color -out=plan.tfplan >"$dir/plan.txt" \
    || { cat "$dir/plan.txt" >&2; return 1; }
  mark "plan: terraform plan"
  terraform -chdir="$dir" show -json plan.tfplan >"$dir/plan.json" || return 1
  echo "plan: $dir/plan.tfplan (text: plan.txt, JSON: plan.json)" >&2
  # A refused plan is not left to apply: make apply_plan would otherwise apply what the review refused.
  run plan-review "$dir/plan.json" || { local refused=$?; rm -f "$dir/plan.tfplan"; return "$refused"; }
  mark "plan: JSON and review"
}

# The reviewed plan, as saved: its configuration and assets are the stack directory's, so the plan
# file and the directory travel together (the workflow's deploy job downloads both). Used once.
apply_saved_plan() {
  local dir="$out/stacks/webapp-$ENV" step=${STEP:-roll}
  case "$step" in roll | patch) ;; *) echo "STEP=$step: the release step after the apply is roll or patch" >&2; return 2 ;; esac
  [ -f "$dir/plan.tfplan" ] || { echo "no saved plan at $dir/plan.tfplan: make plan ENV=$ENV saves one" >&2; return 2; }
  check_lock "$state_key" || return 1
  terraform -chdir="$dir" init -input=false -no-color >/dev/null || return 1
  terraform -chdir="$dir" apply -input=false -no-color plan.tfplan || return 1
  rm -f "$dir/plan.tfplan"
  mark "apply: the saved plan"
  run release "$step" && mark "release step"
}

# The main job. The same steps as the workflow's deploy of production: one plan, reviewed before
# anything changes, and exactly that plan applied (no second plan after a deploy, no second synth).
local_main_job() {
  emulator_zone && bootstrap && mark "bootstrap (the state-backend stack)" && plan synthesized && apply_saved_plan
}

delete() {
  check_lock "$state_key" || return 1
  local dir lb
  dir=$(synth_and_init) || return 1
  lb=$(terraform -chdir="$dir" state list | grep '^aws_lb\.' || true)
  # Read whole before matching: `terraform state show | grep -q` under pipefail fails when grep
  # exits at the match and terraform's next write meets a closed pipe.
  local shown=""
  [ -n "$lb" ] && shown=$(terraform -chdir="$dir" state show -no-color "$lb")
  if grep -Eq '^ *enable_deletion_protection *= *true$' <<<"$shown"; then
    echo "switching off deletion protection of $lb before destroying" >&2
    terraform -chdir="$dir" apply -input=false -no-color -auto-approve -target="$lb" -var deletion_protection=false
  fi
  # Production's access logs outlive the stack: their bucket refuses destroy (no force_destroy), so
  # it leaves Terraform's state first and stays, its lifecycle expiring the logs.
  local logs bucket bucket_state=""
  logs=$(terraform -chdir="$dir" state list | grep -E '^aws_s3_bucket[a-z_]*\.LoadBalancer_AccessLogs_' || true)
  bucket=$(grep -E '^aws_s3_bucket\.' <<<"$logs" || true)
  [ -n "$bucket" ] && bucket_state=$(terraform -chdir="$dir" state show -no-color "$bucket")
  if grep -Eq '^ *force_destroy *= *false$' <<<"$bucket_state"; then
    local name
    name=$(sed -nE 's/^ *bucket *= *"([^"]+)"$/\1/p' <<<"$bucket_state")
    # shellcheck disable=SC2086
    terraform -chdir="$dir" state rm $logs >/dev/null
    echo "keeping the access-log bucket $name: its logs expire by its lifecycle; delete it by hand once empty" >&2
  fi
  cdktf destroy "webapp-$ENV" "${flags[@]}"
}

case "$action" in
  bootstrap) bootstrap ;;
  create) create ;;
  update) deploy roll ;;
  rollback) run release rollback ;;
  patch) deploy patch ;;
  unlock) unlock ;;
  delete) delete ;;
  plan) plan ;;
  apply) apply_saved_plan ;;
  local) local_main_job ;;
  status) run status ;;
  logs) run console-logs ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
