#!/usr/bin/env bash
# clang-tidy (.clang-tidy's checks, every warning an error) on the C++ files that changed: since
# BASE (default: the parent commit; all files when there is none), or on the files given. Needs
# build/compile_commands.json (scripts/build.sh writes it). The fuzz harnesses are built only in
# build-fuzz/ (scripts/fuzz.sh) and are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --ci
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is missing (scripts/install_deps.sh --ci)" >&2; exit 1; }
[[ -f build/compile_commands.json ]] || { echo "tidy: no build/compile_commands.json (run scripts/build.sh)" >&2; exit 1; }
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  base=${BASE:-HEAD~1}
  if git rev-parse -q --verify "$base" >/dev/null; then
    mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cc' 'tests/*.cc' 'bench/*.cc' ':!tests/fuzz')
  else
    mapfile -t files < <(git ls-files 'src/*.cc' 'tests/*.cc' 'bench/*.cc' ':!tests/fuzz')
  fi
fi
[[ ${#files[@]} -eq 0 ]] && { echo "tidy: no changed C++ files"; exit 0; }
echo "tidy: ${#files[@]} files" >&2
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy -p build --quiet --warnings-as-errors='*'
