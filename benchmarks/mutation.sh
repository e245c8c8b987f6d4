#!/usr/bin/env bash
# Mutation testing of src/VgtData with Stryker.NET (the local tool in .config/dotnet-tools.json). Slow: not run in CI.
# Usage: benchmarks/mutation.sh [--survivors] [FOLDER[:FILE,FILE...]...]
#   FOLDER: Loading Sampling Datasets Collate Text Images Preparation (default: all seven), one Stryker run each.
#   FOLDER:FILE,FILE mutates only those files of the folder (names without .cs), e.g. Images:PillowResampler,CropBox.
#   A file may name line ranges, to rerun only those lines: Images:PngIdatStream{20..20}{36..40} (the script turns them
#   into the character spans Stryker's --mutate takes).
#   --survivors: also list each surviving / uncovered mutant (file:line, mutator, replacement).
# Env: MUTATION_FILTER  a `dotnet test --filter` expression limiting the tests run (default: the whole suite)
#      MUTATION_CONCURRENCY  test runners in parallel (default: the config's 2)
# Reports (JSON + HTML) go to artifacts/mutation/FOLDER/; the per-folder table is printed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
all=(Loading Sampling Datasets Collate Text Images Preparation)
survivors=()
folders=()
# A folder lives in the runtime (src/VgtData) or in the tools (src/VgtData.Tools: Preparation, Validation, ...).
src_of() { if [[ -d src/VgtData/$1 ]]; then echo src/VgtData; elif [[ -d src/VgtData.Tools/$1 ]]; then echo src/VgtData.Tools; fi; }
for arg in "$@"; do
  case $arg in
    --survivors) survivors=(--survivors) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *)
      src=$(src_of "${arg%%:*}")
      [[ -n $src ]] || { echo "mutation: no folder ${arg%%:*} in src/VgtData or src/VgtData.Tools" >&2; exit 2; }
      if [[ $arg == *:* ]]; then
        IFS=, read -ra files <<<"${arg#*:}"
        for f in "${files[@]}"; do [[ -f $src/${arg%%:*}/${f%%\{*}.cs ]] || { echo "mutation: no file $src/${arg%%:*}/$f.cs" >&2; exit 2; }; done
      fi
      folders+=("$arg") ;;
  esac
done
((${#folders[@]})) || folders=("${all[@]}")

dotnet tool restore >/dev/null
extra=()
[[ -n ${MUTATION_FILTER:-} ]] && extra+=(--test-case-filter "$MUTATION_FILTER")
[[ -n ${MUTATION_CONCURRENCY:-} ]] && extra+=(--concurrency "$MUTATION_CONCURRENCY")

# {L1..L2}... line ranges (1-based, inclusive) -> {C1..C2}... character spans of those lines (Stryker counts characters).
line_spans() {
  perl -CSD -e '
    my ($file, $ranges) = @ARGV;
    open(my $fh, "<:encoding(UTF-8)", $file) or die "mutation: cannot read $file\n";
    my @start = (0); my $at = 0;
    while (my $line = <$fh>) { $at += length($line); push @start, $at; }
    while ($ranges =~ /\{(\d+)\.\.(\d+)\}/g) {
      die "mutation: $file has no line $2\n" if $1 < 1 || $2 >= @start || $1 > $2;
      printf "{%d..%d}", $start[$1 - 1], $start[$2] - 1;
    }' "$1" "$2"
}

reports=()
for run in "${folders[@]}"; do
  folder=${run%%:*}
  src=$(src_of "$folder")
  mutate=(--project "$(basename "$src").csproj")
  if [[ $run == *:* ]]; then
    IFS=, read -ra files <<<"${run#*:}"
    for f in "${files[@]}"; do
      name=${f%%\{*}
      spans=""
      [[ $f == *\{* ]] && spans=$(line_spans "$src/$folder/$name.cs" "${f#"$name"}")
      mutate+=(--mutate "**/$src/$folder/$name.cs$spans")
    done
    folder="$folder-part"
  else
    mutate+=(--mutate "**/$src/$folder/**/*.cs")
  fi
  out="$root/artifacts/mutation/$folder"
  rm -rf "$out"
  mkdir -p "$out"
  echo "mutation: $folder (log: artifacts/mutation/$folder/stryker.log)"
  start=$SECONDS
  # Run from the test project's folder: at the root Stryker would switch to solution mode.
  (cd tests/VgtData.Tests && dotnet stryker --config-file "$root/benchmarks/mutation/stryker-config.json" \
    "${mutate[@]}" --output "$out" --skip-version-check "${extra[@]}") >"$out/stryker.log" 2>&1 || {
    echo "mutation: Stryker failed on $folder; the end of its log:" >&2
    tail -n 20 "$out/stryker.log" >&2
    exit 1
  }
  report="$out/reports/mutation-report.json"
  [[ -f $report ]] || { echo "mutation: no report at $report" >&2; exit 1; }
  echo "mutation: $folder took $((SECONDS - start)) s"
  reports+=("$report")
done

dotnet run benchmarks/mutation/MutationScore.cs -- "${reports[@]}" "${survivors[@]}"
