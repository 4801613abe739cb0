#!/usr/bin/env bash
# Writes the man page sluice.1 with help2man (Debian's help2man) from `sluice --help`, and a
# COMMANDS section with each command's own --help.
#
#   make_man.sh SLUICE_BINARY OUTPUT
set -euo pipefail
sluice=$1
output=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT
{
  echo "[COMMANDS]"
  for command in run catalog viz registry inspect replay timeline bench export slowfs completion; do
    echo ".SS \"sluice $command\""
    echo ".nf"
    # Lines starting with a dot or a quote would be roff requests.
    "$sluice" "$command" --help | sed -e 's/\\/\\\\/g' -e "s/^\\./\\\\\\&./" -e "s/^'/\\\\\\&'/"
    echo ".fi"
  done
  echo "[SEE ALSO]"
  echo "The README of sluice, and \\fBsluice completion bash\\fR for shell completion."
} >"$include"
help2man --no-info --name "run and measure data pipelines, with hooks from plugins" \
  --include "$include" --output "$output" "$sluice"
