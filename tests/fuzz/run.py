"""Schema fuzzing: checks the running service against the OpenAPI document it serves.

    python tests/fuzz/run.py http://127.0.0.1:8080

(with the python of `scripts/python-env fuzz`). Two steps, both against the service at the base URL:

1. openapi-spec-validator validates the served /openapi.json.
2. schemathesis runs every operation of that document through all its phases (examples, coverage,
   fuzzing with positive and negative data, stateful), with a fixed seed, and checks each response:
   no 5xx, a status code and content type the document lists, a body that matches its schema.
   tests/fuzz/hooks.py steers part of the cases onto real devices and valid query options.

Prints how many requests were sent (at least MIN_REQUESTS are required) and ends with the line
`schemathesis: N passed, M failed`, counting operations: an operation fails when any check failed on
any of its requests; a failure of the run as a whole (an invalid document, an error, untested
operations, too few requests, the time limit) adds one to M. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.versions.shortcuts import get_spec_version

HERE = Path(__file__).resolve().parent
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]
SEED = 20261128
MAX_EXAMPLES = 100
MIN_REQUESTS = 2000
TIME_LIMIT_SECONDS = 900


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="the service's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--max-examples", type=int, default=MAX_EXAMPLES, help="test cases per operation and phase")
    parser.add_argument("--time-limit", type=int, default=TIME_LIMIT_SECONDS, help="seconds before schemathesis is stopped")
    parser.add_argument("--report-dir", help="keep schemathesis' reports here (default: a temporary directory, kept on failure)")
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE",
        help="send this header with every request, e.g. 'Authorization: Bearer ...' (repeatable)",
    )
    args = parser.parse_args()
    headers = dict(parse_header(h) for h in args.header)
    base_url = args.base_url.rstrip("/")
    document_url = f"{base_url}/openapi.json"
    started = time.monotonic()

    operations = validate_document(document_url, headers)
    if operations is None:
        print("schemathesis: 0 passed, 1 failed")
        return 1

    report_dir = Path(args.report_dir or tempfile.mkdtemp(prefix="autopilot-fuzz-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", document_url,
        "--url", base_url,
        "--checks", ",".join(CHECKS),
        "--phases", ",".join(PHASES),
        "--mode", "all",
        "--max-examples", str(args.max_examples),
        "--seed", str(args.seed),
        "--workers", "1",
        # No example database: what a run generates depends on the seed alone.
        "--generation-database", "none",
        # A slow machine must not fail the run; slowness is not what is tested here.
        "--suppress-health-check", "too_slow",
        "--request-timeout", "10",
        "--report", "json,ndjson",
        "--report-dir", str(report_dir),
        "--no-color",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "AUTOPILOT_FUZZ_BASE": base_url,
        "AUTOPILOT_FUZZ_RUN": uuid.uuid4().hex[:8],
        "AUTOPILOT_FUZZ_HEADERS": json.dumps(headers),
        "PYTHONUNBUFFERED": "1",
        # No tests/fuzz/__pycache__ from loading hooks.py.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # Header values (tokens) stay out of the log.
    shown = ["<header>" if previous == "--header" else part for previous, part in zip(["", *command], command)]
    print(f"$ {' '.join(shown)}", flush=True)
    try:
        # In the report directory: no schemathesis.toml of the caller's directories applies.
        exit_code = subprocess.run(command, env=environment, cwd=report_dir, timeout=args.time_limit).returncode
    except subprocess.TimeoutExpired:
        print(f"fuzz: schemathesis did not finish within {args.time_limit}s")
        exit_code = None

    summary = summarise(report_dir, operations)
    elapsed = time.monotonic() - started
    # Operations on which a check failed, and failures of the run as a whole.
    failed = summary["failed"] & set(operations)
    run_problems = sorted(summary["failed"] - failed)
    if exit_code is None:
        run_problems.append(f"schemathesis was stopped after {args.time_limit}s")
    elif exit_code != 0 and not failed:
        run_problems.append(f"schemathesis exited with {exit_code}")
    if summary["requests"] < MIN_REQUESTS:
        run_problems.append(f"only {summary['requests']} requests were sent; at least {MIN_REQUESTS} are required")
    ok = exit_code == 0 and not failed and not run_problems

    print(f"fuzz: {summary['requests']} requests ({summary['by_phase']}), seed {args.seed}, {elapsed:.0f}s")
    print(f"fuzz: responses by status: {summary['by_status']}")
    for operation in sorted(failed):
        print(f"fuzz: FAILED {operation}")
    for problem in run_problems:
        print(f"fuzz: FAILED {problem}")
    if ok and not args.report_dir:
        shutil.rmtree(report_dir, ignore_errors=True)
    elif not ok:
        print(f"fuzz: reports kept in {report_dir}")
    # Counts operations; a failure of the whole run counts as one more failed.
    print(f"schemathesis: {len(operations) - len(failed)} passed, {len(failed) + (1 if run_problems else 0)} failed")
    return 0 if ok else 1


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise SystemExit(f"--header {text!r}: use NAME:VALUE")
    return name.strip(), value.strip()


def validate_document(url: str, headers: dict[str, str]) -> list[str] | None:
    """The operations of the served document once it validates; None (after saying why) otherwise."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            document = json.load(response)
        validate(document)
    except Exception as error:  # noqa: BLE001 - every way to fail is reported the same way
        print(f"openapi-spec-validator: {url}: {type(error).__name__}: {error}")
        return None
    operations = [
        f"{method.upper()} {path}"
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    ]
    print(f"openapi-spec-validator: {url}: valid {get_spec_version(document)} document, {len(operations)} operations")
    return operations


def summarise(report_dir: Path, operations: list[str]) -> dict:
    """Requests sent and operations failed, from schemathesis' reports."""
    requests = 0
    by_phase: collections.Counter[str] = collections.Counter()
    by_status: collections.Counter[int | None] = collections.Counter()
    for path in report_dir.glob("ndjson-*.ndjson"):
        with path.open(encoding="utf-8") as events:
            for line in events:
                if not line.startswith('{"ScenarioFinished"'):
                    continue
                scenario = json.loads(line)["ScenarioFinished"]
                for interaction in scenario["recorder"].get("interactions", {}).values():
                    requests += 1
                    by_phase[scenario["phase"]] += 1
                    by_status[(interaction.get("response") or {}).get("status_code")] += 1
    failed: set[str] = set()
    for path in report_dir.glob("json-*.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        for group in report.get("failures") or []:
            failed.update(group.get("operations") or [f"a failure on no operation: {group.get('title')}"])
        for error in report.get("errors") or []:
            failed.add(f"error: {error.get('title')} ({error.get('count')}x)")
        tested = (report.get("operations") or {}).get("tested")
        if tested is not None and tested < len(operations):
            failed.add(f"{len(operations) - tested} of {len(operations)} operations were not tested")
    if not list(report_dir.glob("json-*.json")):
        failed.add("schemathesis wrote no report")
    return {
        "requests": requests,
        "by_phase": dict(by_phase),
        "by_status": dict(sorted(by_status.items(), key=lambda item: (item[0] is None, item[0] or 0))),
        "failed": failed,
    }


if __name__ == "__main__":
    sys.exit(main())
