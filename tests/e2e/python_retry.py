"""End-to-end test: the official Microsoft Graph Python SDK (msgraph-sdk) survives Graph's throttling,
as injected by autopilot-registry's control plane.

Usage: python tests/e2e/python_retry.py http://127.0.0.1:PORT

The service must run with --control, on a fresh (empty) database, with authentication off. A fault
rule answers the next two device creates with 429 TooManyRequests and `Retry-After: 1`; the SDK is
set up as any Graph client would be (its default middleware, retry handler included), and its one
create call must come back with the device, after the retry handler waited and sent it again.
The request journal then shows the three attempts, and one device exists.
"""

import json
import sys
import time
import urllib.request

from steps import check, check_equal, run_steps
from steps import main as steps_main
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.windows_autopilot_device_identity import WindowsAutopilotDeviceIdentity

COLLECTION = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities"
RETRY_AFTER = 1
THROTTLED_TIMES = 2


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        self.adapter.base_url = self.base_url + "/v1.0"
        self.client = GraphServiceClient(request_adapter=self.adapter)
        self.devices = self.client.device_management.windows_autopilot_device_identities

    def control(self, method: str, path: str, body=None):
        """A control-plane call: its status and JSON body (None when it has none)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + "/_control" + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)

    async def step_inject(self):
        status, _ = self.control("DELETE", "/requests")
        check_equal(status, 204, "clearing the journal")
        status, rule = self.control("POST", "/faults", {
            "method": "POST", "path": COLLECTION, "status": 429, "code": "TooManyRequests",
            "retryAfter": RETRY_AFTER, "times": THROTTLED_TIMES,
        })
        check_equal(status, 201, "adding the fault rule")
        return f"rule {rule['id']}: POST {COLLECTION} -> 429, Retry-After {RETRY_AFTER}, {THROTTLED_TIMES} times"

    async def step_create(self):
        started = time.monotonic()
        device = await self.devices.post(WindowsAutopilotDeviceIdentity(serial_number="RETRY-0001"))
        took = time.monotonic() - started
        check(device is not None and device.id, f"the create answered no device: {device!r}")
        check_equal(device.serial_number, "RETRY-0001", "the created device's serial number")
        self.device_id = device.id
        check(took >= THROTTLED_TIMES * RETRY_AFTER,
              f"the create took {took:.2f}s: the retry handler did not wait Retry-After")
        return f"created {device.id} in {took:.2f}s"

    async def step_rule_spent(self):
        _, rules = self.control("GET", "/faults")
        check_equal([rule["hits"] for rule in rules["value"]], [THROTTLED_TIMES], "the rule's hits")
        return f"{THROTTLED_TIMES} hits"

    async def step_journal(self):
        _, journal = self.control("GET", "/requests?limit=10")
        creates = [e for e in journal["value"] if e["method"] == "POST" and e["path"] == COLLECTION]
        statuses = [e["status"] for e in creates]
        check_equal(statuses, [429] * THROTTLED_TIMES + [201], "the journal's creates")
        check(len({e["requestId"] for e in creates}) == len(creates), "each attempt has its own request-id")
        return f"attempts answered {statuses}"

    async def step_one_device(self):
        page = await self.devices.get()
        check_equal([d.id for d in page.value], [self.device_id], "the devices after the retries")
        return "one device exists"

    STEPS = (
        ("inject 429 with Retry-After for creates", step_inject),
        ("create through the SDK, which retries", step_create),
        ("the rule hit the first attempts", step_rule_spent),
        ("the journal shows every attempt", step_journal),
        ("only one device exists", step_one_device),
    )

    async def run(self) -> int:
        return await run_steps("python-sdk retry e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
