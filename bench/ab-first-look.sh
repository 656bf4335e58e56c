#!/bin/bash
# A/B of two builds' first looks: like bench/ab.sh (alternating runs, in an order that changes
# every round), but each run writes its cache
# entry into a fresh, empty cache directory (as a user's first command on a snapshot does, and as
# bench/run.mjs's first-look tasks do), and each run also reports its main thread's CPU time (see
# bench/thread-cpu.mjs): on a shared machine that is the figure to compare, as the wall time drifts
# with the load and the process' CPU time does not change when work moves to another thread. And
# each run's peak resident memory (`/usr/bin/time`'s %M), with its mean and lowest per build.
# With BACKREFS_AB_SEED=<dir>, each fresh cache directory starts with a copy of that directory's
# files: a directory holding only Graphviz's kept program (graphviz-*.wasm, left by any earlier
# picture) makes the runs first looks by someone who has drawn before, as bench/run.mjs's are.
# BACKREFS_AB_PREFIX runs each command under another one, e.g. `chrt -f 10` (a real-time priority,
# root only): on a machine shared with other work the runs then get the cores as on an idle one,
# for wall times that compare (the others' work waits meanwhile: keep such series short).
#
#   bench/ab-first-look.sh 4 <base build> . -- info bench/data/large.heapsnapshot --json --no-retained -q
[ "$#" -ge 4 ] && [ "$4" = "--" ] || { echo "usage: bench/ab-first-look.sh <rounds> <dirA> <dirB> -- <backrefs args>" >&2; exit 2; }
R=$1; A=$2; B=$3; shift 4
HERE=$(cd "$(dirname "$0")" && pwd)
for k in $(seq 1 "$R"); do
  # A then B in odd rounds, B then A in even ones (see the comment at the top).
  if [ $((k % 2)) -eq 1 ]; then order="$A $B"; else order="$B $A"; fi
  for d in $order; do
    c=$(mktemp -d)
    [ -n "${BACKREFS_AB_SEED:-}" ] && cp "$BACKREFS_AB_SEED"/* "$c"/
    out=$( { BACKREFS_CACHE=1 BACKREFS_CACHE_DIR="$c" /usr/bin/time -f "TIME %e %U %S %M" ${BACKREFS_AB_PREFIX:-} node --import "$HERE/thread-cpu.mjs" "$d/bin/backrefs.js" "$@" > /dev/null; } 2>&1 )
    rm -rf "$c"
    main=$(echo "$out" | grep '^threadcpu' | tail -1 | grep -o 'MAIN:[0-9]*' | cut -d: -f2)
    echo "$d $(echo "$out" | grep '^TIME') main ${main:-0}"
  done
done | awk '{d=$1; w=$3; c=$4+$5; r=$6/1024; m=$8; printf "%s %s s %.2f s CPU, main thread %s ms, peak RSS %.1f MB\n", d, w, c, m, r; n[d]++; W[d]+=w; C[d]+=c; M[d]+=m; R[d]+=r; if(!(d in bw)||w<bw[d])bw[d]=w; if(!(d in bm)||m<bm[d])bm[d]=m; if(!(d in br)||r<br[d])br[d]=r}
  END{for(d in n) printf "%s: wall mean %.2f s, best %.2f s; CPU mean %.2f s; main thread CPU mean %.0f ms, best %.0f ms; peak RSS mean %.1f MB, lowest %.1f MB; over %d runs\n", d, W[d]/n[d], bw[d], C[d]/n[d], M[d]/n[d], bm[d], R[d]/n[d], br[d], n[d]}'
