"""End-to-end test: the directory devices and groups through the official Microsoft Graph Python SDKs
(msgraph-sdk, and msgraph-beta-sdk for what only beta's model has), as an Autopilot offboarding
script drives them.

Usage: python tests/e2e/python_devices.py http://127.0.0.1:PORT

The service must run with authentication off, on a fresh (empty) database. A device identity is
created; its Entra device object is found and read through `device.physical_ids`; a static group
takes it as a member (counted, listed from the device's memberOf and transitiveMemberOf), and the
member is removed with the `$ref?@id=` form the SDK sends; the device is disabled, its extension
attributes written, and deleted, which leaves the identity without an Entra device; last, a device
object an app creates itself. On the way, the group is read with its members expanded, and both
are found by their ids.
"""

import sys

from steps import check, check_equal, run_steps
from steps import main as steps_main
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.devices.devices_request_builder import DevicesRequestBuilder
from msgraph.generated.devices.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody as DevicesGetByIdsBody,
)
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder
from msgraph.generated.groups.item.members.ref.ref_request_builder import RefRequestBuilder
from msgraph.generated.models.alternative_security_id import AlternativeSecurityId
from msgraph.generated.models.device import Device
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.windows_autopilot_device_identity import WindowsAutopilotDeviceIdentity
from msgraph_beta import GraphRequestAdapter as BetaRequestAdapter
from msgraph_beta import GraphServiceClient as BetaServiceClient
from msgraph_beta.generated.models.device import Device as BetaDevice
from msgraph_beta.generated.models.on_premises_extension_attributes import OnPremisesExtensionAttributes

SERIAL = "PY-DEV-0001"
GROUP_TAG = "Kiosk"
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/v1.0"
        self.client = GraphServiceClient(request_adapter=adapter)
        beta_adapter = BetaRequestAdapter(AnonymousAuthenticationProvider())
        beta_adapter.base_url = self.base_url + "/beta"
        self.beta = BetaServiceClient(request_adapter=beta_adapter)

    def device(self):
        return self.client.devices.by_device_id(self.device_object_id)

    async def step_identity(self):
        identities = self.client.device_management.windows_autopilot_device_identities
        created = await identities.post(WindowsAutopilotDeviceIdentity(
            serial_number=SERIAL, group_tag=GROUP_TAG, purchase_order_identifier="PO-42"))
        self.identity_id = created.id
        self.aad_device_id = created.azure_active_directory_device_id
        check(self.aad_device_id, f"the identity names no Entra device: {created!r}")
        return f"identity {created.id}, Entra device id {self.aad_device_id}"

    async def step_find_device(self):
        parameters = DevicesRequestBuilder.DevicesRequestBuilderGetQueryParameters(
            filter=f"deviceId eq '{self.aad_device_id}'")
        page = await self.client.devices.get(RequestConfiguration(query_parameters=parameters))
        check_equal(len(page.value), 1, "the devices with the identity's device id")
        self.device_object_id = page.value[0].id
        return f"device object {self.device_object_id}"

    async def step_physical_ids(self):
        device = await self.device().get()
        check_equal(device.physical_ids,
                    [f"[ZTDID]:{self.identity_id}", f"[OrderID]:{GROUP_TAG}", "[PurchaseOrderId]:PO-42"],
                    "device.physical_ids")
        check_equal(device.display_name, SERIAL, "device.display_name")
        check_equal(device.trust_type, "AzureAd", "device.trust_type")
        check_equal(device.profile_type, "RegisteredDevice", "device.profile_type")
        check_equal(device.account_enabled, True, "device.account_enabled")
        check(device.registration_date_time is not None, "the device has no registration date")
        return ", ".join(device.physical_ids)

    async def step_group_member(self):
        group = await self.client.groups.post(Group(
            display_name="Offboarding", mail_nickname="offboarding", mail_enabled=False,
            security_enabled=True, group_types=[]))
        self.group_id = group.id
        members = self.client.groups.by_group_id(group.id).members
        await members.ref.post(ReferenceCreate(
            odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{self.device_object_id}"))
        count = await members.count.get()
        check_equal(count, 1, "members/$count")
        for navigation in (self.device().member_of, self.device().transitive_member_of):
            page = await navigation.get()
            check_equal([g.id for g in page.value], [group.id], "the device's groups")
        parameters = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(expand=["members"])
        expanded = await self.client.groups.by_group_id(group.id).get(
            RequestConfiguration(query_parameters=parameters))
        check_equal([(type(m), m.id) for m in expanded.members], [(Device, self.device_object_id)],
                    "the group's expanded members")
        return f"group {group.id}: 1 member, in the device's memberOf and transitiveMemberOf, expanded"

    async def step_get_by_ids(self):
        body = GetByIdsPostRequestBody(ids=[self.device_object_id, self.group_id])
        found = await self.client.directory_objects.get_by_ids.post(body)
        check_equal(sorted((type(o).__name__, o.id) for o in found.value),
                    sorted([("Device", self.device_object_id), ("Group", self.group_id)]),
                    "directoryObjects/getByIds")
        only_devices = await self.client.devices.get_by_ids.post(
            DevicesGetByIdsBody(ids=[self.device_object_id, self.group_id]))
        check_equal([o.id for o in only_devices.value], [self.device_object_id], "devices/getByIds")
        return "a device and a group, typed"

    async def step_remove_member(self):
        reference = f"https://graph.microsoft.com/v1.0/directoryObjects/{self.device_object_id}"
        parameters = RefRequestBuilder.RefRequestBuilderDeleteQueryParameters(id=reference)
        await self.client.groups.by_group_id(self.group_id).members.ref.delete(
            RequestConfiguration(query_parameters=parameters))
        count = await self.client.groups.by_group_id(self.group_id).members.count.get()
        check_equal(count, 0, "members/$count after the removal")
        return "removed with $ref?@id="

    async def step_disable(self):
        await self.device().patch(Device(account_enabled=False))
        await self.beta.devices.by_device_id(self.device_object_id).patch(BetaDevice(
            extension_attributes=OnPremisesExtensionAttributes(extension_attribute1="offboarded")))
        device = await self.beta.devices.by_device_id(self.device_object_id).get()
        check_equal(device.account_enabled, False, "device.account_enabled")
        check_equal(device.extension_attributes.extension_attribute1, "offboarded",
                    "device.extension_attributes.extension_attribute1")
        return "accountEnabled false, extensionAttribute1 offboarded"

    async def step_delete(self):
        await self.device().delete()
        try:
            await self.device().get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, "reading the deleted device")
        else:
            check(False, "the deleted device is still there")
        identity = await self.client.device_management.windows_autopilot_device_identities \
            .by_windows_autopilot_device_identity_id(self.identity_id).get()
        check_equal(identity.azure_active_directory_device_id, EMPTY_GUID,
                    "the identity's azureActiveDirectoryDeviceId")
        return "device deleted; the identity stays, without an Entra device"

    async def step_create_device(self):
        created = await self.client.devices.post(Device(
            account_enabled=True, device_id="4c299165-6e8f-4b45-a5ba-c5d250a707ff",
            display_name="App-made device", operating_system="Windows",
            operating_system_version="10.0.22631", physical_ids=["[OrderID]:Lab"],
            alternative_security_ids=[AlternativeSecurityId(type=2, key=b"cv17a51aec")]))
        check_equal(created.physical_ids, ["[OrderID]:Lab"], "the created device's physical_ids")
        count = await self.client.devices.count.get()
        check_equal(count, 1, "devices/$count")
        return f"device {created.id}"

    STEPS = (
        ("create a device identity", step_identity),
        ("find its Entra device by deviceId", step_find_device),
        ("read device.physical_ids", step_physical_ids),
        ("add it to a group, count and list memberships", step_group_member),
        ("find both by their ids", step_get_by_ids),
        ("remove the member as the SDK sends it", step_remove_member),
        ("disable it and write its extension attributes", step_disable),
        ("delete it", step_delete),
        ("create a device object", step_create_device),
    )

    async def run(self) -> int:
        return await run_steps("python-sdk devices e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
