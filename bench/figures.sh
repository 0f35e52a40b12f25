# Sourced by the benchmarks: timing, the figures' arithmetic, and the targets a run meets or not.
# A benchmark prints its table with `row`, and ends with `verdict`, which exits 1 when a target
# was missed, so a script (or CI, should it run one) sees the comparison, not only the numbers.

# Milliseconds the command takes; its output is dropped, and its failure ends the benchmark.
millis() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
best_of() { local n=$1 best=; shift; for _ in $(seq "$n"); do t=$(millis "$@"); if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi; done; echo "$best"; }
# The median of one column (1: the reference, 2: Cumulus) of "a b" pairs.
median() { local col=$1; shift; printf '%s\n' "$@" | awk -v c="$col" '{print $c}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# CPU seconds (user + system) process $1 has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# CPU seconds JVM $1's JIT compiler threads have used so far (threads that ended are not counted).
jit_cpu() {
  local t total=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      C1\ CompilerThre*|C2\ CompilerThre*) total=$((total + $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}'))) ;;
    esac
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'
}

missed=()
# row WHAT REFERENCE_MS CUMULUS_MS [TARGET]: a table row with the ratio, and whether it meets
# TARGET (a ratio Cumulus must not exceed; none: the row is reported only).
row() {
  local what=$1 ref=$2 ours=$3 target=${4:-} r verdict=""
  r=$(ratio "$ours" "$ref")
  if [ -n "$target" ]; then
    if awk -v r="$r" -v t="$target" 'BEGIN {exit !(r <= t)}'; then verdict=" (≤ ${target}×: met)"
    else verdict=" (≤ ${target}×: **missed**)"; missed+=("$what: ${r}× > ${target}×"); fi
  fi
  printf '| %s | %d ms | %d ms | %s×%s |\n' "$what" "$ref" "$ours" "$r" "$verdict"
}
# limit WHAT VALUE MAX UNIT: a row for an absolute figure that must stay under MAX.
limit() {
  local what=$1 value=$2 max=$3 unit=$4
  if [ "$value" -lt "$max" ]; then printf '| %s | | %d %s | (< %d %s: met) |\n' "$what" "$value" "$unit" "$max" "$unit"
  else printf '| %s | | %d %s | (< %d %s: **missed**) |\n' "$what" "$value" "$unit" "$max" "$unit"; missed+=("$what: $value $unit ≥ $max $unit"); fi
}
# Ends the benchmark: 0 when every target was met, 1 (naming the misses) otherwise.
verdict() {
  echo
  if [ ${#missed[@]} -eq 0 ]; then echo "every target met"; exit 0; fi
  printf 'target missed: %s\n' "${missed[@]}"
  exit 1
}
