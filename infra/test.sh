#!/usr/bin/env bash
# The project's test command (see README):
#   infra/test.sh [extra `dotnet test` args, e.g. --filter FullyQualifiedName~Outbox]
#
# Starts the private PostgreSQL/RabbitMQ (infra/services.sh), builds the
# solution in Release, runs every test project with a TRX logger and prints,
# as the very last line, "N passed, N failed" (", N skipped" when > 0).
# The container tests (tests/SesWorker.ContainerTests) run last and on their
# own: they start a private Docker engine (infra/images.sh), build the images
# and run docker-compose.yml. With arguments, only `dotnet test SesWorker.sln`
# with those arguments runs (the container tests too, if the filter takes them).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

RESULTS_DIR="$REPO_ROOT/.tmp/test-results"
BUILD_LOG="$REPO_ROOT/.tmp/build.log"

export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[test] %s\n' "$*" >&2; }

infra/services.sh up
eval "$(infra/services.sh env)"

mkdir -p "$REPO_ROOT/.tmp"
# The Node producer example's one dependency (amqplib), which its test runs; from the lock file.
if [[ ! -d examples/node/node_modules ]]; then
    log "installing the Node example's dependencies (npm ci)"
    npm ci --prefix examples/node --no-audit --no-fund >"$REPO_ROOT/.tmp/npm.log" 2>&1 || { cat "$REPO_ROOT/.tmp/npm.log"; exit 1; }
fi
log "building SesWorker.sln (Release)"
# Quiet on success, full output on failure: the errors are what matters.
if ! dotnet build SesWorker.sln -c Release >"$BUILD_LOG" 2>&1; then
    cat "$BUILD_LOG"
    log "build FAILED (log: $BUILD_LOG)"
    exit 1
fi
log "build OK ($(grep -Eo '[0-9]+ Warning\(s\)' "$BUILD_LOG" | tail -n 1 || true); log: $BUILD_LOG)"

# Stale TRX files from an earlier run would be counted again.
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

log "running tests"
test_rc=0
# `--containers` is accepted for old habits: the default run has them anyway.
[[ $# -eq 1 && $1 == --containers ]] && shift
if [[ $# -eq 0 ]]; then
    # One test project at a time (-m:1): the integration tests measure rates and slots on the database's clock, and on
    # two cores the unit and simulator tests beside them once delayed a statement past a whole send interval. About
    # 15 s longer than running them side by side.
    dotnet test SesWorker.sln -c Release --no-build -m:1 \
        --logger "trx" --results-directory "$RESULTS_DIR" --filter "FullyQualifiedName!~SesWorker.ContainerTests" || test_rc=$?
    # After the others and alone: they build images and run a whole stack, and the 2-core machine is best not shared
    # with the timing-sensitive integration tests. The services above stay up (the next run reuses them); the stack
    # is torn down by the tests, and the private engine stopped here if this run started it (its images stay in its
    # data root, and another checkout may take that data root once the engine is gone).
    engine_was_up=0
    infra/images.sh status && engine_was_up=1
    log "running the container tests (infra/images.sh, docker-compose.yml)"
    container_start=$SECONDS
    dotnet test tests/SesWorker.ContainerTests -c Release --no-build \
        --logger "trx" --results-directory "$RESULTS_DIR" || test_rc=$?
    log "container tests took $((SECONDS - container_start)) s (figures: .tmp/container-test/figures.txt)"
    [[ $engine_was_up -eq 1 ]] || infra/images.sh down
else
    # One project at a time here too: a filter is applied inside each test host, so every project's host starts and
    # discovers its tests, and on two cores that ran beside the one test asked for.
    dotnet test SesWorker.sln -c Release --no-build -m:1 \
        --logger "trx" --results-directory "$RESULTS_DIR" "$@" || test_rc=$?
fi

# Count the outcomes in every TRX (one per test project). The per-test
# results are used rather than <Counters>: the VSTest TRX logger reports
# xunit skips as outcome="NotExecuted" but leaves Counters/@notExecuted at 0.
# Errors, timeouts and aborts count as failures.
summary_rc=0
summary=$(python3 - "$RESULTS_DIR" <<'EOF'
import glob
import os
import sys
import xml.etree.ElementTree as ET

results_dir = sys.argv[1]
files = sorted(glob.glob(os.path.join(results_dir, "**", "*.trx"), recursive=True))
if not files:
    print("NO_TRX")
    sys.exit(0)


def local(tag):
    return tag.rsplit("}", 1)[-1]


FAILED = {"Failed", "Error", "Timeout", "Aborted"}
passed = failed = skipped = 0
for path in files:
    root = ET.parse(path).getroot()
    p = f = s = 0
    found = False
    # Only direct children of <Results>: data-driven rows nested under
    # <InnerResults> would otherwise be counted twice.
    for results in (e for e in root if local(e.tag) == "Results"):
        for result in (e for e in results if local(e.tag) == "UnitTestResult"):
            found = True
            outcome = result.get("outcome", "")
            if outcome == "Passed":
                p += 1
            elif outcome in FAILED:
                f += 1
            else:
                s += 1
    if not found:
        # No per-test results (e.g. the run aborted): fall back to Counters.
        counters = next((e for e in root.iter() if local(e.tag) == "Counters"), None)
        if counters is not None:
            def count(name):
                return int(counters.get(name, "0") or 0)
            p = count("passed")
            f = count("failed") + count("error") + count("timeout") + count("aborted")
            s = count("notExecuted")
    outcome = next((e.get("outcome", "") for e in root.iter() if local(e.tag) == "ResultSummary"), "")
    print(f"[test] {os.path.basename(path)}: {p} passed, {f} failed, {s} skipped"
          f" (run outcome: {outcome or 'unknown'})", file=sys.stderr)
    passed += p
    failed += f
    skipped += s

print(passed, failed, skipped)
EOF
) || summary_rc=$?

if [[ $summary_rc -ne 0 ]]; then
    log "could not parse the TRX files in $RESULTS_DIR"
    exit 1
fi
if [[ $summary == NO_TRX ]]; then
    log "no TRX files were produced in $RESULTS_DIR (dotnet test exit code $test_rc)"
    echo "0 passed, 0 failed"
    exit 1
fi

read -r passed failed skipped <<<"$summary"
if [[ $skipped -gt 0 ]]; then
    line="$passed passed, $failed failed, $skipped skipped"
else
    line="$passed passed, $failed failed"
fi

status=0
if [[ $failed -gt 0 ]]; then
    log "FAILED: $failed test(s) failed"
    status=1
elif [[ $test_rc -ne 0 ]]; then
    log "FAILED: dotnet test exited with code $test_rc"
    status=1
elif [[ $((passed + failed)) -eq 0 ]]; then
    log "FAILED: no tests ran (all filtered out or skipped?)"
    status=1
fi

echo "$line"
exit "$status"
