# Protected outputs. With protect_caches: true the converted benchmarks and merged caches are
# made read-only when a run starts and ends (the rules' commands do not depend on the
# setting, so switching it reruns nothing), and a run that would recompute one stops
# before any job, in one line that names the file and the command that allows it:
#
# - at parse time, for every existing read-only benchmark / merged cache whose recorded code
#   fingerprint (or proxy set) differs from what its rule would now produce: the code
#   changed, so Snakemake would rerun it (and, for a user who is not root, fail on the
#   read-only file with a multi-line message);
# - at start (onstart, after the DAG, before the first job) for any other reason a needrun
#   job would overwrite a read-only output.
#
# A dry run (-n) prints the same line as a warning and goes on.
import h5py as _h5py


def _read_only(path):
    try:
        return not (os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    except FileNotFoundError:
        return False


def _attr(path, key):
    try:
        with _h5py.File(path, "r") as f:
            value = f.attrs.get(key)
    except OSError:
        return None
    return value.decode() if isinstance(value, bytes) else value


def _stale_reason(path, space, dataset, kind):
    """Why the protected file ``path`` would be recomputed, or None."""
    import json
    if kind == "benchmark":
        expected = fingerprint("convert", space=space, converter=convert_kind(space))
        if _attr(path, "code_fingerprint") != expected:
            return "the converter's code changed"
        return None
    recorded = json.loads(_attr(path, "code_fingerprints") or "{}")
    wanted = {p: fingerprint("score", space=space, proxies=tuple(ps), dataset=dataset)
              for ps in GROUPS.values() for p in ps}
    if set(recorded) != set(wanted):
        return "the scored proxies changed"
    changed = sorted(p for p in wanted if recorded[p] != wanted[p])
    if changed:
        return f"the scoring code of {', '.join(changed)} changed"
    return None


def _dry_run():
    """-n / --dry-run on the command line (the workflow object knows it only later)."""
    for arg in sys.argv[1:]:
        if arg in ("-n", "--dry-run", "--dryrun", "--dry_run"):
            return True
        if arg.startswith("-") and not arg.startswith("--") and arg[1:].isalpha() \
                and "n" in arg[1:]:
            return True
    return False


def _main_process():
    """The Snakemake process that plans the run (not a job's own Snakemake on a cluster)."""
    return bool(getattr(workflow, "is_main_process", True))


def _stop(path, why):
    line = (f"zsnas workflow: error: {path} is write-protected and would be recomputed "
            f"({why}); to allow it: chmod u+w {path}")
    if _dry_run():
        print(line.replace("error:", "warning:", 1), file=sys.stderr)
        return
    print(line, file=sys.stderr)
    raise SystemExit(1)


def _protected_files():
    for space, dataset in BENCHMARKS:
        yield bench_path("benchmarks", space, dataset), space, dataset, "benchmark"
        yield bench_path("scores", space, dataset), space, dataset, "cache"


def _protect_all():
    if PROTECT:
        for path, *_ in _protected_files():
            if os.path.isfile(path) and not _read_only(path):
                os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP
                                                         | stat.S_IWOTH))


onstart:
    if PROTECT:
        for _job in workflow.dag.needrun_jobs():
            for _f in _job.output:
                if _read_only(str(_f)):
                    _stop(str(_f), f"rule {_job.rule.name}: its inputs, settings or code "
                          "changed")


if PROTECT and _main_process():
    for _path, _space, _dataset, _kind in _protected_files():
        if _read_only(_path):
            _why = _stale_reason(_path, _space, _dataset, _kind)
            if _why:
                _stop(_path, _why)
    if not _dry_run():
        _protect_all()      # existing files too (a run with nothing to do has no onsuccess)


onsuccess:
    _protect_all()


onerror:
    _protect_all()
