#!/usr/bin/env python3
"""Shares of passing conformance cases in formats JSON, DELIMITED, KAFKA and NONE, from a
sluice-qtt output file: stateless (no GROUP BY, JOIN, WINDOW or EMIT FINAL) and stateful (any
of them), each followed by the cases that do not pass.

usage: stateless_share.py QTT_DIR SLUICE_QTT_OUTPUT
"""
import json,re,sys,os
def strip(t):
    out=[];i=0;s=False
    while i<len(t):
        c=t[i]
        if s:
            out.append(c)
            if c=='\\': out.append(t[i+1]); i+=1
            elif c=='"': s=False
        elif c=='"': s=True; out.append(c)
        elif t.startswith('//',i):
            while i<len(t) and t[i]!='\n': i+=1
            continue
        else: out.append(c)
        i+=1
    return ''.join(out)
lines=[l.rstrip('\n') for l in open(sys.argv[2])]
bykey={}
for l in lines:
    m=re.match(r'(PASS|FAIL|SKIP) (.*?\.json)::(.*)$',l)
    if m: bykey.setdefault(m.group(2),[]).append((m.group(1),m.group(3)))
def lookup(f,name):
    best=None
    for st,rest in bykey.get(f,[]):
        if rest.strip()==name.strip() or rest.startswith(name.rstrip()+': ') or rest.startswith(name+': '):
            if best is None or len(rest)<len(best[1]): best=(st,rest)
    return (best[0],best[1][len(name):]) if best else ('MISSING','')
d=sys.argv[1]
counts={'stateless':[0,0,[]],'stateful':[0,0,[]]}
for f in sorted(x for x in os.listdir(d) if x.endswith('.json')):
    for t in json.loads(strip(open(os.path.join(d,f)).read()))['tests']:
        fmts=t.get('format',[None])
        for fmt in fmts:
            st=' '.join(t['statements']).upper().replace('{FORMAT}',fmt or 'JSON')
            name=t['name']+(' - '+fmt if fmt else '')
            kind='stateful' if re.search(r'GROUP BY|\bJOIN\b|WINDOW|EMIT FINAL',st) else 'stateless'
            fm=set(re.findall(r"FORMAT\s*=\s*'(\w+)'",st))
            if fmt: fm.add(fmt.upper())
            if fm - {'JSON','DELIMITED','KAFKA','NONE'}: continue
            c=counts[kind]
            c[1]+=1
            r=lookup(f,name)
            if r[0]=='PASS': c[0]+=1
            else: c[2].append((f,name,r))
for kind,(p,tot,fails) in counts.items():
    print(f"{kind} JSON/DELIMITED/KAFKA/NONE: {p}/{tot} pass = {100*p/max(tot,1):.1f}%")
for kind,(p,tot,fails) in counts.items():
    for x in fails: print(kind, x[2][0], x[0]+'::'+x[1], x[2][1][:150])
