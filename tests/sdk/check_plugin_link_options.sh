#!/usr/bin/env bash
# backplane_add_plugin(table-nodelete ... NODELETE LINK_OPTIONS "LINKER:--build-id=sha1" VERSION 2.3.4):
# the file is marked NODELETE (stays mapped after the last runtime unloads it),
# carries the build id the extra linker option asked for, and the table reports
# the version given to CMake (backplane/sdk/table.hpp, no string in the code).
set -euo pipefail
cli="$1"
plugin="$2"
ran=0
readelf -d "$plugin" | grep -Eq 'FLAGS_1.*NODELETE' || { readelf -d "$plugin"; echo "expected DT_FLAGS_1 NODELETE in $plugin"; exit 1; }
ran=$((ran + 1))
readelf -n "$plugin" | grep -q 'Build ID' || { echo "expected a GNU build id (LINK_OPTIONS LINKER:--build-id=sha1)"; exit 1; }
ran=$((ran + 1))
report="$("$cli" conformance "$plugin" --cycles 5 2>&1)" || { echo "$report"; echo "the NODELETE build must still pass conformance"; exit 1; }
grep -q "^PASS  abi.table: 'table-nodelete' 2.3.4," <<<"$report" || { echo "$report"; echo "expected version 2.3.4 from VERSION"; exit 1; }
ran=$((ran + 1))
echo "OK: NODELETE, LINK_OPTIONS and VERSION reach the plugin"
echo "bp-test: ran=$ran skipped=0"
