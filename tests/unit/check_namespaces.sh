#!/bin/sh
# Every unit test file keeps its names in a namespace named after it (tests/README.md: the unity
# build puts 8 files in one translation unit). Lists the files that do not; exit 1 if any.
dir=$(dirname "$0")
status=0
for f in "$dir"/*_test.cpp; do
  name=$(basename "$f" .cpp)
  if ! grep -q "^namespace $name {" "$f" || ! grep -q "^}  // namespace $name\$" "$f"; then
    echo "$f: its code is not inside 'namespace $name {' ... '}  // namespace $name'"
    status=1
  fi
done
exit $status
