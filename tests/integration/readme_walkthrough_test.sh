#!/usr/bin/env bash
# The README's first session, exactly as written there: the `ksql>` lines of its walkthrough
# are read from README.md (not copied here), typed into the interactive CLI in a terminal
# (tmux) against sluiced started as `make run` starts it (embedded broker, default config; only
# the ports are free ones), and the results the README promises are checked: the pull query
# gives bob's balance of 15, the push query streams 3 rows and ends at its LIMIT.
source "$(dirname "$0")/lib.sh"

README="$(cd "$(dirname "$0")/../.." && pwd)/README.md"
export HOME="$WORK/home"
mkdir -p "$HOME"
SOCK="sluice-walkthrough-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
pane() { tm capture-pane -p -J -S - -t walk; }
pane_has() { pane | grep -qF -- "$1"; }
pane_matches() { pane | grep -qE -- "$1"; }
prompt_count() { pane | grep -c "ksql> " || true; }
trap 'tm kill-server 2>/dev/null || true; cleanup' EXIT

# The statements of the README's session: from each "ksql> " line through its indented
# continuation lines; "-- ..." comments dropped; one statement per output line.
python3 - "$README" >"$WORK/statements.sql" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
session = text[text.index("A first session"):]
session = session[:session.index("\n\n", session.index("ksql> "))]
statements, current = [], None
for line in session.splitlines():
    line = re.sub(r"\s*--.*$", "", line)
    if line.strip().startswith("ksql> "):
        current = line.strip()[len("ksql> "):]
        statements.append(current)
    elif current is not None and line.strip() and not statements[-1].endswith(";"):
        statements[-1] += " " + line.strip()
for s in statements:
    print(s)
EOF
check "the README's session has its statements (SET, CREATE x2, INSERT x3, pull, push)" \
  test "$(wc -l <"$WORK/statements.sql")" -eq 8

HTTP_PORT=$(free_port)
start_sluiced "$WORK/sluiced.log"
tm new-session -d -s walk -x 160 -y 60 "COLUMNS=160 '$BIN/sluice' 'http://127.0.0.1:$HTTP_PORT'; sleep 30"
tm set-option -t walk history-limit 5000 >/dev/null
PIDS+=("$(tm display-message -p -t walk '#{pid}')")
check "the CLI starts and shows its prompt" wait_for 15 pane_has "ksql> "

type_statement() {  # tmux reads a trailing ';' as its own separator: escape it
  local text=$1
  [[ $text == *\; ]] && text="${text%;}\\;"
  tm send-keys -t walk -l -- "$text"
  tm send-keys -t walk Enter
}

mapfile -t STATEMENTS <"$WORK/statements.sql"
for s in "${STATEMENTS[@]}"; do
  case "$s" in
    SELECT*EMIT\ CHANGES*) PUSH="$s" ;;
    SELECT*) PULL="$s" ;;
    *)
      before=$(pane | grep -c "ksql> " || true)
      type_statement "$s"
      wait_for 20 at_least $((before + 1)) prompt_count || true
      ;;
  esac
done
check "SET, CREATE STREAM, CREATE TABLE and the INSERTs answer without errors" \
  bash -c "! tmux -L '$SOCK' capture-pane -p -J -S - -t walk | grep -qiE 'error|exception|not supported'"
check "... and the table is created" pane_has "Created query with ID CTAS_BALANCES"

# "15, once the query has caught up": the pull query, again until it has.
pull_shows_15() {
  type_statement "$PULL"
  sleep 1
  pane_matches '\| *bob *\| *15 *\|'
}
check "the pull query shows bob's balance of 15" wait_for 60 pull_shows_15

type_statement "$PUSH"
check "the push query streams the 3 payments and stops at LIMIT 3" wait_for 30 pane_has "Limit Reached"
for row in '\| *bob *\| *10 *\|' '\| *alice *\| *7 *\|' '\| *bob *\| *5 *\|'; do
  check "... with the row $row" pane_matches "$row"
done
check "the shell is back at its prompt after the push query" wait_for 10 bash -c \
  "tmux -L '$SOCK' capture-pane -p -J -S - -t walk | grep -v '^ *\$' | tail -1 | grep -qF 'ksql> '"
finish
