#!/bin/sh
# make demo: the bundled records through the pipeline into a temporary store.
set -eu
build=${1:-build}
here=$(dirname "$0")
"$build/cli/aalearn" --version
