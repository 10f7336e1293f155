#!/usr/bin/env python3
"""Stage 2 of the sim/model mutant run (docs/MUTANTS.md): reruns each mutant that cargo-mutants
(stage 1) reported missed against the lib tests of SRC and the test targets stage 1 did not run.

usage: mutants-stage2.py DEADLINE OUT RESULTS SRC
  DEADLINE  HH:MM UTC after which no new mutant starts, or "" for none
  OUT       cargo-mutants' output directory (mutants.json, missed.txt)
  RESULTS   file the outcomes are appended to (mutants already in it are skipped)
  SRC       a scratch copy of the tree, built; each mutant is applied there and reverted
env: MISSED_FILE (names to run instead of missed.txt), TARGETS (comma list instead of the
defaults, without --lib: stage 3 is TARGETS=panic_freedom TIMEOUT=300), TIMEOUT (s, 150)."""
import json, subprocess, sys, time, os
out = sys.argv[2]
src = sys.argv[4]
deadline = sys.argv[1] if len(sys.argv) > 1 else None  # HH:MM UTC
muts = {m['name']: m for m in json.load(open(f'{out}/mutants.json'))}
missed = [l.strip() for l in open(os.environ.get('MISSED_FILE', f'{out}/missed.txt')) if l.strip()]
targets = ['record', 'threads', 'state_machine', 'cli', 'coverage', 'fuzz_corpus', 'fuzz_record',
           'readme', 'soak', 'surface_sys', 'parity']
args = ['nice', '-n', '19', 'cargo', 'test', '--all-features']
if os.environ.get('TARGETS'):  # stage 3: e.g. TARGETS=panic_freedom TIMEOUT=300
    targets = os.environ['TARGETS'].split(',')
else:
    args += ['--lib']
for t in targets:
    args += ['--test', t]
env = dict(os.environ, QWAVE_SIM_SKIP_WINE='1')
res = open(sys.argv[3], 'a')
done = set()
if os.path.exists(sys.argv[3]):
    done = {l.split('\t')[1] for l in open(sys.argv[3]) if '\t' in l}
for name in missed:
    if name in done:
        continue
    if deadline and time.strftime('%H:%M', time.gmtime()) >= deadline:
        print('deadline', flush=True); break
    m = muts[name]
    diff = m['diff']
    path = os.path.join(src, m['file'])
    original = open(path).read()
    p = subprocess.run(['patch', '-p0', '--quiet', '-r', '-', '--no-backup-if-mismatch', m['file']],
                       input=diff, text=True, cwd=src, capture_output=True)
    if p.returncode != 0:
        # The tree moved on (a comment added at the site): apply the one changed line by text.
        open(path, 'w').write(original)
        minus = [l[1:] for l in diff.splitlines() if l.startswith('-') and not l.startswith('---')]
        plus = [l[1:] for l in diff.splitlines() if l.startswith('+') and not l.startswith('+++')]
        if len(minus) != 1 or len(plus) != 1 or original.count(minus[0] + '\n') != 1:
            line = f'NOAPPLY\t{name}'
            print(line, flush=True); res.write(line + '\n'); res.flush()
            continue
        open(path, 'w').write(original.replace(minus[0] + '\n', plus[0] + '\n'))
    t0 = time.time()
    try:
        proc = subprocess.Popen(args, cwd=src, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            so, se = proc.communicate(timeout=int(os.environ.get('TIMEOUT', '150')))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9); proc.communicate(); raise
        r = subprocess.CompletedProcess(args, proc.returncode, so, se)
        if r.returncode == 0:
            outcome = 'MISSED'
        elif 'error[E' in r.stderr or 'could not compile' in r.stderr:
            outcome = 'UNVIABLE'
        else:
            fails = [l for l in (r.stdout + r.stderr).splitlines() if 'FAILED' in l or 'panicked' in l or 'Running' in l]
            outcome = 'CAUGHT ' + ' | '.join(fails[-3:])[:300]
    except subprocess.TimeoutExpired:
        outcome = 'TIMEOUT'
    open(path, 'w').write(original)
    line = f'{outcome.split()[0]}\t{name}\t{time.time()-t0:.0f}s\t{outcome[7:] if outcome.startswith("CAUGHT") else ""}'
    print(line, flush=True); res.write(line + '\n'); res.flush()
