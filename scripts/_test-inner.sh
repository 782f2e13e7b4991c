#!/usr/bin/env bash
# Runs inside a userland where TorchSharp loads (see in-userland.sh): build, test, summary line.
set -uo pipefail
log=$(mktemp)
# One test project at a time (-m:1): on 2 cores, parallel projects only add contention to timing-sensitive tests.
dotnet test NadaWeb.sln -c Release -m:1 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
