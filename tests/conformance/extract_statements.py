#!/usr/bin/env python3
"""Extracts the statements of query-validation-test cases into one .sql file per case, for
`sluiced --check --syntax-only` (grammar coverage).

Cases with `expectedException` (or REST `expectedError`) are skipped (they may be meant to fail). `{FORMAT}` is replaced
by each entry of the case's `format` list, or JSON when there is none.

usage: extract_statements.py OUT_DIR QTT_DIR...
"""
import json
import os
import re
import sys


def strip_comments(text):
    """Removes // comments outside JSON strings."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == '\\':
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith('//', i):
            while i < len(text) and text[i] != '\n':
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return ''.join(out)


def lenient_json(text):
    # The corpus has // comments and the odd trailing comma.
    text = re.sub(r',(\s*[}\]])', r'\1', strip_comments(text))
    return json.loads(text)


def main():
    out_dir, sources = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    count = 0
    for source in sources:
        files = [source] if source.endswith('.json') else sorted(
            os.path.join(source, f) for f in os.listdir(source) if f.endswith('.json'))
        for path in files:
            for case_no, case in enumerate(lenient_json(open(path).read()).get('tests', [])):
                if 'expectedException' in case or 'expectedError' in case:
                    continue
                for fmt in case.get('format', ['JSON']):
                    stmts = [s.replace('{FORMAT}', fmt) for s in case.get('statements', [])]
                    name = f"{os.path.basename(path)[:-5]}__{case_no}__{fmt}.sql"
                    with open(os.path.join(out_dir, name), 'w') as f:
                        f.write('\n'.join(s if s.rstrip().endswith(';') else s + ';' for s in stmts) + '\n')
                    count += len(stmts)
    print(f"{count} statements extracted to {out_dir}")


if __name__ == '__main__':
    main()
