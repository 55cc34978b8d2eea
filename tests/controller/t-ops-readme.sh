#!/usr/bin/env bash
# controller/README.md's op table and member limits are what
# controller/ops.def gives (controller/ops-readme.py writes them): the
# check passes on the tree, fails on a README that lost a row and on a
# spec with an op the README lacks, and passes again once the script has
# rewritten that README.
set -u
: "${KEYCAB_SRC:?}"
FAILS=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
gen=$KEYCAB_SRC/controller/ops-readme.py

out=$(python3 "$gen" --check 2>&1) && ok "the tree: $out" || bad "the tree's README differs from ops.def: $out"

cp "$KEYCAB_SRC/controller/README.md" "$T/README.md"
sed -i '/^| `slot.reseat` |/d' "$T/README.md"
out=$(python3 "$gen" --check "$T/README.md" 2>&1) && bad "a README without slot.reseat's row passes: $out" ||
	ok "a README without slot.reseat's row: $out"

mkdir "$T/c"
cp "$gen" "$KEYCAB_SRC/controller/ops.def" "$KEYCAB_SRC/controller/README.md" "$T/c/"
sed -i 's|^KC_OP("roster".*|&\nKC_OP("door.test", OPERATOR, SESSION, kc_door_test, "door:I")|' "$T/c/ops.def"
grep -q door.test "$T/c/ops.def" || bad "the spec was not changed"
out=$(python3 "$T/c/ops-readme.py" --check 2>&1) && bad "a spec with a new op passes: $out" ||
	ok "a spec with an op the README lacks: $out"
python3 "$T/c/ops-readme.py" && out=$(python3 "$T/c/ops-readme.py" --check 2>&1) && ok "rewritten: $out" ||
	bad "the rewritten README still differs: $out"
grep -qF '| `door.test` | an operator logged in (not an engineer) | yes | `door` integer |  |' "$T/c/README.md" &&
	ok "  ... with the new op's row" || bad "  ... no row for door.test"

if [ "$FAILS" -gt 0 ]; then echo "$FAILS checks failed"; exit 1; fi
echo "all checks passed"
