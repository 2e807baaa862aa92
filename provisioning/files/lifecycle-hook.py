#!/usr/bin/python3
# Completes the auto scaling group's launch lifecycle hook once the site answers through Apache:
# after the first boot's install (into service, or into the warm pool), and again each time the
# instance leaves the warm pool. EC2 Auto Scaling stops a warm pool instance as soon as it has
# launched unless a launch hook holds it, and cloud-init runs the install only once, so without the
# hook a stop could cut the install short for good (EC2 Auto Scaling User Guide, "Warm pool instance
# lifecycle"). Runs as webapp-lifecycle.service on every boot; it polls the target lifecycle state
# the metadata service reports ("Retrieve the target lifecycle state through instance metadata") and
# completes the hook once per state the instance is sent toward: CONTINUE when /health answers 200
# through Apache, ABANDON when it does not within HEALTH_TIMEOUT_SECONDS (the group then replaces
# the instance instead of waiting out the hook's heartbeat). As root, like the install script: the
# workers cannot reach the metadata service.
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

# Where a state is not one to complete a hook for (Pending, Terminated, Detached, ...), nothing is done.
COMPLETES = {"InService", "Warmed:Stopped", "Warmed:Running", "Warmed:Hibernated"}
# What CompleteLifecycleAction answers when no action waits (a reboot, a hook already completed).
NOTHING_WAITS = "No active Lifecycle Action found"


def settings():
    values = {}
    with open(os.environ.get("WEBAPP_RELEASE_ENV", "@RELEASE_SETTINGS_FILE@")) as env:
        for line in env:
            name, _, value = line.rstrip("\n").partition("=")
            if name:
                values[name] = value
    return values


def log(message):
    print(f"webapp-lifecycle: {message}", flush=True)


def metadata(base, path):
    def call(method, url, headers):
        request = urllib.request.Request(base + url, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.read().decode().strip()

    token = call("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    return call("GET", "/latest/meta-data/" + path, {"X-aws-ec2-metadata-token": token})


def healthy(url, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def complete(config, instance_id, result, attempts, delay):
    command = [
        "aws", "autoscaling", "complete-lifecycle-action", "--region", config["AWS_REGION"],
        "--auto-scaling-group-name", config["AUTO_SCALING_GROUP"], "--lifecycle-hook-name", config["LIFECYCLE_HOOK"],
        "--instance-id", instance_id, "--lifecycle-action-result", result,
    ]
    for attempt in range(1, attempts + 1):
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode == 0:
            return True
        reason = " ".join(run.stderr.split())[-300:]
        if NOTHING_WAITS in reason:
            log(f"no lifecycle action waits for {instance_id} ({reason})")
            return True
        # IAM is eventually consistent at first boot, as for the release fetch: a few tries with backoff.
        log(f"completing the lifecycle action failed (attempt {attempt}: {reason})")
        if attempt < attempts:
            time.sleep(delay)
            delay *= 2
    return False


def main():
    config = settings()
    base = config.get("IMDS_ENDPOINT", "http://169.254.169.254").rstrip("/")
    health_url = f"http://127.0.0.1:{config['APACHE_PORT']}{config['HEALTH_PATH']}"
    timeout = float(os.environ.get("HEALTH_TIMEOUT_SECONDS", "120"))
    poll = float(os.environ.get("LIFECYCLE_POLL_SECONDS", "5"))
    attempts = int(os.environ.get("LIFECYCLE_ATTEMPTS", "5"))
    first_delay = float(os.environ.get("LIFECYCLE_FIRST_DELAY_SECONDS", "2"))
    instance_id = None
    completed_for = None
    said = None
    while True:
        try:
            instance_id = instance_id or metadata(base, "instance-id")
            target = metadata(base, "autoscaling/target-lifecycle-state")
        except (urllib.error.URLError, OSError) as error:
            target = None
            # Said once per kind of failure, not every poll: the console keeps the last 64 KB only.
            if str(error) != said:
                log(f"the metadata service does not say the target lifecycle state ({error})")
                said = str(error)
        if target in COMPLETES and target != completed_for:
            result = "CONTINUE" if healthy(health_url, timeout) else "ABANDON"
            log(f"target state {target}: {'the site answers through Apache' if result == 'CONTINUE' else 'the site does not answer'}; completing the launch hook with {result}")
            if complete(config, instance_id, result, attempts, first_delay):
                log(f"completed the launch hook for {target} with {result}")
            else:
                log("FAILED: could not complete the lifecycle action; the hook's heartbeat decides")
            completed_for = target
        time.sleep(poll)


if __name__ == "__main__":
    sys.exit(main())
