#!/bin/sh
# Instructions per step of benchmark (a), counted by valgrind's callgrind: a count, not a time,
# though runs of the same code differed by up to 9%.
# Prints (count(520 steps) - count(20 steps)) / 500.
# Run: sh bench/count_instructions.sh   (needs valgrind: apt-get install valgrind)
set -eu
cd "$(dirname "$0")/.."
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -c "
import sys
sys.path.insert(0, 'bench')
import bench_tensor
import chainrule as cr
step = bench_tensor.elementwise(cr, cr.tensor)
for _ in range($1):
    step()
" 2>&1 | awk '/Collected/ {print $4}'
}
a=$(count 20)
b=$(count 520)
echo "instructions per step of (a): $(( (b - a) / 500 ))"
