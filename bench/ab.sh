#!/bin/sh
# A/B timing of two builds of backrefs on the same command, alternating A and B so that the
# machine's drift (10-20% within an hour on the 2-core benchmark machine) hits both alike. The
# order changes every round (A B, B A, A B, ...): on the benchmark machine, consecutive runs that
# take much fresh memory alternate slow and fast whatever they run (a 1 GB first look: 2.8 / 1.8 s,
# bench/README.md, 2026-12-03), so a fixed order can put every run of one build in the fast slot.
# The directories are given as paths without spaces.
#
#   git worktree add /tmp/base HEAD~1 && ln -s "$PWD/node_modules" /tmp/base/node_modules \
#     && (cd /tmp/base && npx tsc -p tsconfig.json)
#   bench/ab.sh 4 /tmp/base . -- info bench/data/large.heapsnapshot --json -q
#
# Prints every run (wall seconds, peak RSS, CPU seconds) and, per build, the mean and the best of the
# wall and CPU times (on a shared machine the CPU time drifts much less than the wall time).
[ "$#" -ge 4 ] && [ "$4" = "--" ] || { echo "usage: bench/ab.sh <rounds> <dirA> <dirB> -- <backrefs args>" >&2; exit 2; }
R=$1; A=$2; B=$3; shift 4
# Both builds compute every run: the snapshot cache is off unless asked for. To compare second
# looks: BACKREFS_CACHE=1 and one cache directory per build, BACKREFS_CACHE_DIR_A and
# BACKREFS_CACHE_DIR_B (two builds never share entries, see docs/cache.md: in one directory each
# run would replace the other build's entry), each filled by one run of its build before.
export BACKREFS_CACHE="${BACKREFS_CACHE:-0}"
for k in $(seq 1 "$R"); do
  # A then B in odd rounds, B then A in even ones (see the comment at the top).
  if [ $((k % 2)) -eq 1 ]; then order="$A $B"; else order="$B $A"; fi
  for d in $order; do
    if [ "$d" = "$A" ]; then dir="${BACKREFS_CACHE_DIR_A:-${BACKREFS_CACHE_DIR:-}}"; else dir="${BACKREFS_CACHE_DIR_B:-${BACKREFS_CACHE_DIR:-}}"; fi
    BACKREFS_CACHE_DIR="$dir" /usr/bin/time -f "$d %e s %M KB %U %S cpu" node "$d/bin/backrefs.js" "$@" > /dev/null
  done
done 2>&1 | grep " s .* KB .* cpu$" | sort | awk '{c=$6+$7; print $1, $2, "s", $4, "KB", c, "s CPU"} {t[$1]+=$2; u[$1]+=c; n[$1]++; if(!($1 in m)||$2<m[$1])m[$1]=$2; if(!($1 in mu)||c<mu[$1])mu[$1]=c} END{for(d in t) printf "%s: mean %.2f s, best %.2f s; CPU (user+sys) mean %.2f s, best %.2f s; over %d runs\n", d, t[d]/n[d], m[d], u[d]/n[d], mu[d], n[d]}'
