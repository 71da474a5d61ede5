"""End-to-end test: offboarding a managed device through the official Microsoft Graph Python SDK
(msgraph-sdk, v1.0), as the widely used Autopilot and Intune tools do it.

Usage: python tests/e2e/python_managed_devices.py http://127.0.0.1:PORT

The service must run with authentication off, with one managed device of serial number
PY-MD-0001 enrolled from an Autopilot identity (the Rust test seeds both). The device is found by
serial number with `$filter`, synced and wiped (each action pending in deviceActionResults), and
deleted, which leaves the identity without its managed device.
"""

import sys

from steps import check, check_equal, run_steps
from steps import main as steps_main
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.device_management.managed_devices.item.wipe.wipe_post_request_body import (
    WipePostRequestBody,
)
from msgraph.generated.device_management.managed_devices.managed_devices_request_builder import (
    ManagedDevicesRequestBuilder,
)
from msgraph.generated.models.action_state import ActionState
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

SERIAL = "PY-MD-0001"


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/v1.0"
        self.client = GraphServiceClient(request_adapter=adapter)

    def device(self):
        return self.client.device_management.managed_devices.by_managed_device_id(self.device_id)

    async def actions(self):
        device = await self.device().get()
        return {r.action_name: r.action_state for r in device.device_action_results}

    async def step_find(self):
        parameters = ManagedDevicesRequestBuilder.ManagedDevicesRequestBuilderGetQueryParameters(
            filter=f"serialNumber eq '{SERIAL}'")
        page = await self.client.device_management.managed_devices.get(
            RequestConfiguration(query_parameters=parameters))
        check_equal(len(page.value), 1, "the managed devices with the serial number")
        device = page.value[0]
        check_equal(device.serial_number, SERIAL, "serial_number")
        check_equal(device.operating_system, "Windows", "operating_system")
        check(device.enrolled_date_time is not None, "no enrolled_date_time")
        self.device_id = device.id
        return f"managed device {device.id} named {device.device_name}"

    async def step_sync(self):
        await self.device().sync_device.post()
        check_equal(await self.actions(), {"syncDevice": ActionState.Pending}, "the actions")
        return "syncDevice pending"

    async def step_wipe(self):
        await self.device().wipe.post(WipePostRequestBody(
            keep_enrollment_data=False, keep_user_data=False))
        actions = await self.actions()
        check_equal(actions.get("wipe"), ActionState.Pending, "the wipe's state")
        return f"actions {sorted(actions)}"

    async def step_delete(self):
        await self.device().delete()
        try:
            await self.device().get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, "the deleted device's GET")
        else:
            check(False, "the deleted device is still there")
        parameters = ManagedDevicesRequestBuilder.ManagedDevicesRequestBuilderGetQueryParameters(
            filter=f"serialNumber eq '{SERIAL}'")
        page = await self.client.device_management.managed_devices.get(
            RequestConfiguration(query_parameters=parameters))
        check_equal(page.value, [], "the managed devices with the serial number")
        identities = await self.client.device_management.windows_autopilot_device_identities.get()
        check_equal([i.managed_device_id for i in identities.value], [None],
                    "the identity's managed_device_id")
        return "deleted; the identity stays, without its managed device"

    STEPS = (
        ("find the managed device by serial number", step_find),
        ("sync it", step_sync),
        ("wipe it", step_wipe),
        ("delete it", step_delete),
    )

    async def run(self) -> int:
        return await run_steps("python-sdk managed devices e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
