#!/bin/sh
# The files of a unity group are one translation unit (engine/README.md), so two files of one
# folder must not define the same name in their anonymous namespaces: that is a redefinition,
# or worse two overloads that silently pick each other. For each folder given (relative to this
# script's directory), lists the names that more than one file defines at the top level of an
# anonymous namespace; exit 1 if any. "-x folder/file.cpp" leaves out a file kept out of the groups.
#   check_unity_names.sh [-x kafka/stream_thread.cpp]... expr expr/functions kafka ...
#
# What it reads: lines at column 0 between "namespace {" and "}  // namespace" (the style every
# engine file keeps): functions (the name before the first '('), struct/class/enum, constants
# (the name before '='), and type aliases other than ones the folder spells identically.
dir=$(dirname "$0")
skip=" "
while [ "$1" = "-x" ]; do skip="$skip$2 "; shift 2; done
status=0
for folder in "$@"; do
  clashes=$(
    for f in "$dir/$folder"/*.cpp; do
      case "$skip" in *" $folder/$(basename "$f") "*) continue ;; esac
      awk -v file="$(basename "$f")" '
        /^namespace \{/ { anon = 1; next }
        /^\}  \/\/ namespace$/ { anon = 0; next }
        !anon || /^[ \t}#\/]/ || /^$/ || /^template/ { next }
        /^using [A-Za-z_][A-Za-z0-9_]* = / { print $2 "=" $4, file; next }   # alias: name=target
        /^using / { next }
        /^(struct|class|enum|union) / {
          line = $0; sub(/^enum class /, "", line); sub(/^[a-z]+ /, "", line)
          match(line, /^[A-Za-z_][A-Za-z0-9_]*/); print substr(line, RSTART, RLENGTH), file; next
        }
        /^[^(=]*[A-Za-z_][A-Za-z0-9_]* *\(/ {
          line = $0; sub(/ *\(.*/, "", line); n = split(line, w, /[ *&:]+/)
          print w[n], file; next
        }
        /=/ {
          line = $0; sub(/ *=.*/, "", line); sub(/\[.*\]$/, "", line); n = split(line, w, /[ *&]+/)
          print w[n], file; next
        }
      ' "$f"
    done | sort -u | awk '
      { name = $1; if (index(name, "=")) name = substr(name, 1, index(name, "=") - 1) }
      # the same alias spelled the same way twice is harmless: sort -u kept one line per file
      { seen[$1]++; files[name] = files[name] " " $2; defs[name]++; key[name] = key[name] " " $1 }
      END {
        for (n in defs) {
          if (defs[n] < 2) continue
          split(key[n], k, " "); same = 1
          for (i in k) if (k[i] != k[1] || index(k[i], "=") == 0) same = 0
          if (!same) print n ":" files[n]
        }
      }')
  if [ -n "$clashes" ]; then
    echo "$clashes" | sed "s|^|engine/$folder: defined in more than one file's anonymous namespace: |"
    status=1
  fi
done
exit $status
