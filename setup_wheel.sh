#!/usr/bin/env bash
# Builds the loadgen wheel into dist/, installs it, and smoke-tests the
# installed package (the import, and the CMake package for native SUTs).
#
#   bash setup_wheel.sh              # with python3
#   PYTHON=/path/to/python bash setup_wheel.sh
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
if [[ -z "$version" ]]; then
  echo "setup_wheel.sh: no version = \"...\" line in pyproject.toml" >&2
  exit 1
fi

echo "== Building loadgen $version into dist/"
mkdir -p dist
rm -f "dist/loadgen-$version-"*.whl  # so exactly one wheel is installed below
"$PYTHON" -m pip wheel . --no-deps --wheel-dir dist
wheels=(dist/loadgen-"$version"-*.whl)
echo "built ${wheels[0]}"

echo "== Installing it"
"$PYTHON" -m pip install --force-reinstall --no-deps "${wheels[0]}"
"$PYTHON" -m pip install "${wheels[0]}"  # its dependencies, where missing

echo "== Smoke test"
# From another directory, so the import cannot come from this checkout.
cd "$(mktemp -d)"
"$PYTHON" -c "import loadgen; print('import loadgen:', loadgen.__version__)"
cmake_dir=$("$PYTHON" -m loadgen --cmake-dir)
test -f "$cmake_dir/loadgenConfig.cmake"
echo "CMake package: $cmake_dir"
