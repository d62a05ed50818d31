#!/usr/bin/env bash
# Instructions per step of benchmark (a) (or (b) with BENCH=b), counted by valgrind (callgrind),
# for git revisions ("worktree" for the files as they are): deterministic to about 0.1%, where
# wall time on this VM moves by 30%. The count is the difference of a 3000-step and a 1000-step
# run (300 and 100 for (b)), divided by the difference (start-up cancels). One OpenBLAS thread and
# no address randomization: spinning worker threads and hash layouts would otherwise make the
# counts vary. BENCH=numpy counts (b)'s step written by hand in NumPy (no revision needed);
# BENCH=scalar the scalar engine's demo step (bench_scalar.py's chainrule model; 10 and 30 steps).
# Run: bash bench/count_instructions.sh main worktree   (needs valgrind; ~1 minute per revision)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py="$root/.venv/bin/python"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/loop.py" <<PY
import sys, types
sys.path.insert(0, "$root/bench")
which = sys.argv[2]
if which != "scalar":  # bench_tensor imports torch, not needed here (scikit-learn must see none)
    sys.modules["torch"] = types.ModuleType("torch")
    import bench_tensor
import chainrule as cr
if which == "a":
    step = bench_tensor.elementwise(cr, cr.tensor)
elif which == "scalar":
    import bench_scalar
    step = bench_scalar.make_models()["chainrule"]
elif which == "b":
    step = bench_tensor.mlp(cr, cr.tensor, 64, [784, 128, 10])
else:
    step = bench_tensor.mlp_numpy(64, [784, 128, 10])
for _ in range(int(sys.argv[1])):
    step()
PY
bench=${BENCH:-a}
case "$bench" in
    a) few=1000; many=3000 ;;
    scalar) few=10; many=30 ;;
    *) few=100; many=300 ;;
esac
count() {  # count SRC STEPS
    OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 PYTHONPATH="$1" setarch -R valgrind --tool=callgrind \
        --callgrind-out-file=/dev/null "$py" "$tmp/loop.py" "$2" "$bench" 2>&1 |
        awk '/Collected/ {gsub(",", "", $4); print $4}'
}
for rev in "$@"; do
    src="$tmp/$rev/src"
    mkdir -p "$tmp/$rev"
    if [ "$rev" = worktree ]; then cp -r "$root/src" "$src"; else
        git -C "$root" archive "$rev" src | tar -x -C "$tmp/$rev"; fi
    a=$(count "$src" $few)
    b=$(count "$src" $many)
    echo "$rev ($bench): $(( (b - a) / (many - few) )) instructions per step"
done
