"""What the end-to-end scripts share: their checks, and the runner that takes their steps in order.

Each script has an `E2E` class with a `base_url`, `STEPS` (a tuple of (name, async method) pairs)
and a `run` that calls `run_steps`.
Every step prints one line (`ok` with its detail and time, or `FAIL` with the reason); the first
failure stops the run (later steps build on earlier ones). The last line is `LABEL: N passed, M
failed`, and the exit status 0 or 1.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback


class StepFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def check_equal(actual, expected, what: str) -> None:
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def describe(error) -> str:
    """An SDK's ODataError (each SDK has its own class), for a FAIL line."""
    main = error.error
    return (
        f"the SDK raised ODataError: status {error.response_status_code}, "
        f"code {main.code if main else None!r}, message {main.message if main else None!r}"
    )


async def run_steps(label: str, e2e, odata_error: type) -> int:
    started = time.monotonic()
    passed = 0
    for number, (name, step) in enumerate(e2e.STEPS, 1):
        step_started = time.monotonic()
        try:
            detail = await step(e2e)
        except StepFailed as failure:
            reason = str(failure)
        except odata_error as error:
            reason = describe(error)
        except Exception as error:  # anything else the SDK raised: show where
            traceback.print_exc()
            reason = f"{type(error).__name__}: {error}"
        else:
            passed += 1
            print(f"ok   {number:2}. {name} ({time.monotonic() - step_started:.2f}s): {detail}", flush=True)
            continue
        print(f"FAIL {number:2}. {name}: {reason}", flush=True)
        print(f"{label}: failed at step {number} ({name}); later steps not run", file=sys.stderr)
        print(f"{label}: {passed} passed, 1 failed")
        return 1
    print(f"total {time.monotonic() - started:.1f}s against {e2e.base_url}")
    print(f"{label}: {passed} passed, 0 failed")
    return 0


def main(make_e2e) -> int:
    """Runs `make_e2e(base_url).run()` against the base URL the command line names."""
    if len(sys.argv) != 2 or not sys.argv[1].startswith(("http://", "https://")):
        print(f"usage: {sys.argv[0]} http://HOST:PORT", file=sys.stderr)
        return 2
    return asyncio.run(make_e2e(sys.argv[1]).run())
