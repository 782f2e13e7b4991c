#!/usr/bin/env bash
# Runs inside a userland where TorchSharp loads (see in-userland.sh): build, test, summary line.
#
# A test that fails is run once more on its own (a test host that crashed: its whole project once more). The run
# passes only if every rerun passes, and a test that passed only on its rerun is printed under "FLAKY" with its first
# failure above it: a race to find and fix, not a pass to forget (see README, "Tests"). A test that fails twice fails
# the run.
set -uo pipefail
log=$(mktemp)
# One test project at a time (-m:1): on 2 cores, parallel projects only add contention to timing-sensitive tests.
dotnet test NadaWeb.sln -c Release -m:1 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count() { grep -oE "$1: +[0-9]+" "$2" | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed "$log"); failed=$(count Failed "$log"); skipped=$(count Skipped "$log")
echo "tests: $passed passed, $failed failed, $skipped skipped"

if [ "$rc" -ne 0 ]; then
  # The user's --filter, if any, for a project that has to run again whole.
  filter=""
  prev=""
  for a in "$@"; do
    [ "$prev" = "--filter" ] && filter="$a"
    case "$a" in --filter=*) filter="${a#--filter=}" ;; esac
    prev="$a"
  done
  # Per test assembly: the tests that failed, or ABORTED when its run has no result line (the host crashed).
  plan=$(awk '
    function print_dll() { if (aborted || !done) print dll " ABORTED"; else if (names != "") print dll names }
    /^Test run for / { if (dll != "") print_dll(); dll = $4; names = ""; done = 0; aborted = 0; next }
    /^  Failed [A-Za-z_][A-Za-z0-9_.]*(\(.*\))? \[[^]]*\]$/ {
      name = $2; sub(/\(.*/, "", name)
      if (index(" " names " ", " " name " ") == 0) names = names " " name
      next
    }
    /Test Run Aborted|[Tt]est host process crashed|active test run was aborted/ { aborted = 1 }
    /^(Passed|Failed)! +- |No test matches the given testcase filter/ { done = 1 }
    END { if (dll != "") print_dll() }' "$log")
  if [ -z "$plan" ]; then
    echo "tests: the run failed before any test result (build error above); nothing to run again"
  else
    rc=0
    flaky=()
    while read -r dll names; do
      [ -z "$dll" ] && continue
      again=$(mktemp)
      if [ "$names" = "ABORTED" ]; then
        echo "tests: the test host of $(basename "$dll") stopped without a result; running that project once more"
        args=("$dll")
        [ -n "$filter" ] && args+=(--filter "$filter")
      else
        echo "tests: running the failed tests of $(basename "$dll") once more:$names"
        f=""
        for n in $names; do f="${f:+$f|}FullyQualifiedName=$n"; done
        args=("$dll" --filter "$f")
      fi
      dotnet test "${args[@]}" 2>&1 | tee "$again"
      again_rc=${PIPESTATUS[0]}
      # A rerun of named tests must show them passing (a filter that matched nothing is not a pass).
      if [ "$again_rc" -eq 0 ] && { [ "$names" = "ABORTED" ] || grep -qE '^Passed! +- ' "$again"; }; then
        if [ "$names" = "ABORTED" ]; then flaky+=("$(basename "$dll") (test host crash)"); else for n in $names; do flaky+=("$n"); done; fi
      else
        rc=1
      fi
      rm -f "$again"
    done <<< "$plan"
    if [ "$rc" -eq 0 ]; then
      echo "tests: FLAKY (failed, then passed when run again; their first failures are printed above):"
      for n in "${flaky[@]}"; do echo "tests:   $n"; done
    else
      echo "tests: failed again when run once more (see above)"
    fi
  fi
fi
rm -f "$log"
exit "$rc"
