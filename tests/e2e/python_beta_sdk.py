"""End-to-end test: the Autopilot import flow through the official Microsoft Graph beta Python SDK
(msgraph-beta-sdk) against autopilot-registry.

Usage: python tests/e2e/python_beta_sdk.py http://127.0.0.1:PORT

The flow is the one Get-WindowsAutopilotInfo -Online -Assign runs (workflows spec sections 0 to 4):
upload a hardware hash as an importedWindowsAutopilotDeviceIdentity, poll the record while its state
is `unknown`, read the new device through `state.deviceRegistrationId`, delete the record; plus the
collection's `import` action and the `contains(serialNumber,...)` lookup that scripts use. Then the
assignment: a dynamic group on the device's group tag, a deployment profile assigned to it, the
device `pending`, a sync that settles it (and a second one refused with 429 in the cooldown), the
profile through `$expand` and `assignedDevices`, the operations below a profile (assignedDevices'
`$count`, item, navigation and action, the assignments' `$count` and PATCH, `hasPayloadLinks`,
`assign`), the settings' PATCH and an imported identity's PATCH refused as Graph refuses it, the
group tag changed away, an all-devices
assignment and an exclusion group, and the profile's delete refused while it has assignments. Every
call goes through the beta SDK's own request builders and models, with only its base URL changed.

The service must be on a fresh (empty) database, process imports after its default delay (2 s), and
settle assignments only on a sync (a long --assignment-delay), so that `pending` can be seen.
Each step prints one line; the last line is `python-beta-sdk e2e: N passed, M failed`. The first
failing step stops the run (later steps build on the earlier ones) and the script exits with status 1.
"""

import asyncio
import datetime as dt
import hashlib
import sys
import time
import uuid

from steps import StepFailed, check, check_equal, describe, run_steps
from steps import main as steps_main
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.imported_windows_autopilot_device_identities.import_.import_post_request_body import (
    ImportPostRequestBody,
)
from msgraph_beta.generated.device_management.imported_windows_autopilot_device_identities.imported_windows_autopilot_device_identities_request_builder import (
    ImportedWindowsAutopilotDeviceIdentitiesRequestBuilder,
)
from msgraph_beta.generated.device_management.windows_autopilot_device_identities.item.update_device_properties.update_device_properties_post_request_body import (
    UpdateDevicePropertiesPostRequestBody,
)
from msgraph_beta.generated.device_management.windows_autopilot_device_identities.item.windows_autopilot_device_identity_item_request_builder import (
    WindowsAutopilotDeviceIdentityItemRequestBuilder,
)
from msgraph_beta.generated.device_management.windows_autopilot_deployment_profiles.has_payload_links.has_payload_links_post_request_body import (
    HasPayloadLinksPostRequestBody,
)
from msgraph_beta.generated.device_management.windows_autopilot_deployment_profiles.item.assign.assign_post_request_body import (
    AssignPostRequestBody,
)
from msgraph_beta.generated.models.all_devices_assignment_target import AllDevicesAssignmentTarget
from msgraph_beta.generated.models.device_and_app_management_assignment_source import (
    DeviceAndAppManagementAssignmentSource,
)
from msgraph_beta.generated.models.windows_autopilot_settings import WindowsAutopilotSettings
from msgraph_beta.generated.models.azure_a_d_windows_autopilot_deployment_profile import (
    AzureADWindowsAutopilotDeploymentProfile,
)
from msgraph_beta.generated.models.enrollment_state import EnrollmentState
from msgraph_beta.generated.models.exclusion_group_assignment_target import ExclusionGroupAssignmentTarget
from msgraph_beta.generated.models.group import Group
from msgraph_beta.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph_beta.generated.models.reference_create import ReferenceCreate
from msgraph_beta.generated.models.windows_autopilot_deployment_profile_assignment import (
    WindowsAutopilotDeploymentProfileAssignment,
)
from msgraph_beta.generated.models.windows_autopilot_sync_status import WindowsAutopilotSyncStatus
from msgraph_beta.generated.models.imported_windows_autopilot_device_identity import (
    ImportedWindowsAutopilotDeviceIdentity,
)
from msgraph_beta.generated.models.imported_windows_autopilot_device_identity_import_status import (
    ImportedWindowsAutopilotDeviceIdentityImportStatus as ImportStatus,
)
from msgraph_beta.generated.models.imported_windows_autopilot_device_identity_state import (
    ImportedWindowsAutopilotDeviceIdentityState,
)
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.windows_autopilot_device_identity import WindowsAutopilotDeviceIdentity
from msgraph_beta.generated.models.windows_autopilot_profile_assignment_status import (
    WindowsAutopilotProfileAssignmentStatus,
)

ListParameters = (
    ImportedWindowsAutopilotDeviceIdentitiesRequestBuilder.ImportedWindowsAutopilotDeviceIdentitiesRequestBuilderGetQueryParameters
)
DeviceParameters = (
    WindowsAutopilotDeviceIdentityItemRequestBuilder.WindowsAutopilotDeviceIdentityItemRequestBuilderGetQueryParameters
)
Status = WindowsAutopilotProfileAssignmentStatus

# Scripts poll every 15-30 s against Graph's minute or so; the service here takes 2 s.
POLL_INTERVAL = 0.5
POLL_TIMEOUT = 30.0

UTC = dt.timezone.utc
NEVER_CONTACTED = dt.datetime(1, 1, 1, tzinfo=UTC)


def hardware_hash(seed: str) -> bytes:
    """3,008 bytes derived from `seed`: about 4,000 base64 characters, the size of a real hash."""
    return b"".join(hashlib.sha256(f"{seed}/{block}".encode()).digest() for block in range(94))


# The device uploaded one at a time, as Get-WindowsAutopilotInfo -Online does.
UPLOADED = {
    "serial_number": "E2E-BETA-0001",
    "product_key": "XXXXX-XXXXX-XXXXX-XXXXX-BETA1",
    "group_tag": "e2e-kiosk",
    "assigned_user_principal_name": "grace@contoso.example",
    "hardware_identifier": hardware_hash("E2E-BETA-0001"),
}
# Uploaded through `import` together with a second record whose serial is UPLOADED's in another
# case: serials are compared case-insensitively, so that one is refused with 806.
IMPORTED_NEW = {
    "serial_number": "E2E-BETA-0002",
    "group_tag": "e2e-lab",
    "assigned_user_principal_name": "ada@contoso.example",
    "hardware_identifier": hardware_hash("E2E-BETA-0002"),
}
IMPORTED_DUPLICATE = {
    "serial_number": UPLOADED["serial_number"].lower(),
    "group_tag": "e2e-lab",
    "hardware_identifier": hardware_hash("E2E-BETA-0001-again"),
}
# The dynamic group the uploaded device's group tag puts it in, as Autopilot scripts write it.
KIOSK_RULE = '(device.devicePhysicalIds -any (_ -eq "[OrderID]:%s"))' % UPLOADED["group_tag"]
# Matches UPLOADED and IMPORTED_DUPLICATE (case-insensitively), not IMPORTED_NEW.
FILTER_TEXT = "beta-0001"
# Every property of the imported identity that a client sends (the rest are set by the service).
SENT_PROPERTIES = (
    "assigned_user_principal_name",
    "group_tag",
    "hardware_identifier",
    "product_key",
    "serial_number",
)



def check_guid(value, what: str) -> None:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        raise StepFailed(f"{what} is not a GUID: {value!r}") from None


def check_no_unknown_properties(model, what: str, context_allowed: bool) -> None:
    """Properties the SDK's model does not know land in additional_data: a misspelt or extra one
    shows up there."""
    allowed = {"@odata.context"} if context_allowed else set()
    unknown = set(model.additional_data) - allowed
    check(not unknown, f"{what}: unexpected properties {sorted(unknown)} in {model.additional_data!r}")


def check_record(record, sent: dict, what: str, context_allowed: bool = False) -> None:
    """`record` (an SDK model) is an imported identity holding what `sent` had, nothing unknown."""
    check(isinstance(record, ImportedWindowsAutopilotDeviceIdentity), f"{what}: not a record: {record!r}")
    check_guid(record.id, f"{what}: id")
    for name in SENT_PROPERTIES:
        check_equal(getattr(record, name), sent.get(name), f"{what}: {name}")
    check_guid(record.import_id, f"{what}: importId")
    check(record.state is not None, f"{what}: no state")
    check_no_unknown_properties(record, what, context_allowed)
    check_no_unknown_properties(record.state, f"{what}: state", context_allowed=False)


def check_state(record, status: ImportStatus, error_code: int, error_name: str, what: str) -> None:
    state = record.state
    check_equal(state.device_import_status, status, f"{what}: state.deviceImportStatus")
    check_equal(state.device_error_code, error_code, f"{what}: state.deviceErrorCode")
    check_equal(state.device_error_name, error_name, f"{what}: state.deviceErrorName")


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/beta"
        self.client = GraphServiceClient(request_adapter=adapter)
        self.records = self.client.device_management.imported_windows_autopilot_device_identities
        self.devices = self.client.device_management.windows_autopilot_device_identities
        self.uploaded_id = ""
        self.imported_new_id = ""
        self.imported_duplicate_id = ""
        self.import_id = ""
        self.device_ids: dict[str, str] = {}  # serial -> the id of the device its record produced
        self.profiles = self.client.device_management.windows_autopilot_deployment_profiles
        self.kiosk_group_id = ""
        self.kiosk_profile_id = ""
        self.everyone_profile_id = ""

    def record(self, record_id: str):
        return self.records.by_imported_windows_autopilot_device_identity_id(record_id)

    def device(self, device_id: str):
        return self.devices.by_windows_autopilot_device_identity_id(device_id)

    async def poll_while_unknown(self, record_id: str, what: str):
        """GETs the record until its state is no longer `unknown`, as the scripts do; returns it
        and how many GETs answered `unknown` before."""
        deadline = time.monotonic() + POLL_TIMEOUT
        unknown_answers = 0
        while True:
            record = await self.record(record_id).get()
            check(record is not None and record.state is not None, f"{what}: GET answered {record!r}")
            if record.state.device_import_status != ImportStatus.Unknown:
                return record, unknown_answers
            unknown_answers += 1
            check(time.monotonic() < deadline, f"{what}: still unknown after {POLL_TIMEOUT:.0f}s")
            await asyncio.sleep(POLL_INTERVAL)

    async def check_device(self, record, sent: dict, what: str) -> WindowsAutopilotDeviceIdentity:
        """The device a `complete` record names exists, made from what the record was sent."""
        registration_id = record.state.device_registration_id
        check_guid(registration_id, f"{what}: state.deviceRegistrationId")
        device = await self.device(registration_id).get()
        check(isinstance(device, WindowsAutopilotDeviceIdentity), f"{what}: not a device: {device!r}")
        check_equal(device.id, registration_id, f"{what}: the device's id")
        check_equal(device.serial_number, sent["serial_number"], f"{what}: the device's serialNumber")
        check_equal(device.group_tag, sent.get("group_tag"), f"{what}: the device's groupTag")
        check_equal(device.product_key, sent.get("product_key"), f"{what}: the device's productKey")
        check_equal(
            device.user_principal_name,
            sent.get("assigned_user_principal_name"),
            f"{what}: the device's userPrincipalName",
        )
        check_equal(device.enrollment_state, EnrollmentState.NotContacted, f"{what}: the device's enrollmentState")
        check_equal(
            device.deployment_profile_assignment_status,
            WindowsAutopilotProfileAssignmentStatus.NotAssigned,
            f"{what}: the device's deploymentProfileAssignmentStatus",
        )
        check_equal(device.last_contacted_date_time, NEVER_CONTACTED, f"{what}: the device's lastContactedDateTime")
        check_no_unknown_properties(device, f"{what}: the device", context_allowed=True)
        return device

    async def check_gone(self, record_id: str, what: str) -> None:
        try:
            answer = await self.record(record_id).get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, f"GET of {what}: status")
            check(error.error is not None, f"GET of {what}: no error body")
            check_equal(error.error.code, "ResourceNotFound", f"GET of {what}: error code")
        else:
            raise StepFailed(f"GET of {what} answered success: {answer!r}")

    async def wait_for_status(self, serial: str, status: Status) -> WindowsAutopilotDeviceIdentity:
        """GETs the device until its deploymentProfileAssignmentStatus is `status`: assignment is
        worked out in the background, as on Graph."""
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            device = await self.device(self.device_ids[serial]).get()
            if device.deployment_profile_assignment_status == status:
                return device
            check(
                time.monotonic() < deadline,
                f"{serial}: still {device.deployment_profile_assignment_status} after {POLL_TIMEOUT:.0f}s, "
                f"never {status.value}",
            )
            await asyncio.sleep(POLL_INTERVAL)

    async def assign(self, profile_id: str, target) -> WindowsAutopilotDeploymentProfileAssignment:
        assignments = self.profiles.by_windows_autopilot_deployment_profile_id(profile_id).assignments
        created = await assignments.post(WindowsAutopilotDeploymentProfileAssignment(target=target))
        group_id = getattr(target, "group_id", None) or "adadadad-808e-44e2-905a-0b7873a8a531"
        check_equal(created.id, f"{profile_id}_{group_id}_0", "the assignment's id")
        check_equal(type(created.target), type(target), "the assignment's target type")
        return created

    async def profile(self, name: str) -> str:
        created = await self.profiles.post(AzureADWindowsAutopilotDeploymentProfile(display_name=name))
        check(isinstance(created, AzureADWindowsAutopilotDeploymentProfile), f"POST answered {created!r}")
        check(created.created_date_time is not None, f"{name}: no createdDateTime")
        return created.id

    async def group(self, name: str, rule: str | None) -> str:
        group = Group(display_name=name, mail_nickname=name, mail_enabled=False, security_enabled=True)
        if rule is not None:
            group.group_types = ["DynamicMembership"]
            group.membership_rule = rule
            group.membership_rule_processing_state = "On"
        created = await self.client.groups.post(group)
        check_equal(created.membership_rule, rule, f"{name}: membershipRule")
        return created.id

    # ---- the steps, in order ------------------------------------------------------------------

    async def step_empty(self) -> str:
        page = await self.records.get(RequestConfiguration(query_parameters=ListParameters(top=1, count=True)))
        check_equal(page.odata_count, 0, "@odata.count of imported identities (the run needs a fresh database)")
        check_equal(page.value, [], "value")
        devices = await self.devices.count.get()
        check_equal(devices, 0, "$count of devices (the run needs a fresh database)")
        return "no imported identities, no devices"

    async def step_upload(self) -> str:
        # As Get-WindowsAutopilotInfo's upload: it names the type and sends a `pending` state of its
        # own, which the service ignores (a new record is `unknown`, or the script would stop polling).
        sent_state = ImportedWindowsAutopilotDeviceIdentityState(
            device_import_status=ImportStatus.Pending,
            device_registration_id="",
            device_error_code=0,
            device_error_name="",
        )
        created = await self.records.post(
            ImportedWindowsAutopilotDeviceIdentity(
                odata_type="#microsoft.graph.importedWindowsAutopilotDeviceIdentity", state=sent_state, **UPLOADED
            )
        )
        check_record(created, UPLOADED, "201 body", context_allowed=True)
        check_equal(created.import_id, created.id, "201 body: importId of a record posted alone")
        self.uploaded_id = created.id
        check_state(created, ImportStatus.Unknown, 0, "", "201 body")
        check_equal(created.state.device_registration_id, "", "201 body: state.deviceRegistrationId")
        return (
            f"id {created.id}, {len(UPLOADED['hardware_identifier'])}-byte hash round-tripped, "
            f"state sent {sent_state.device_import_status.value}, answered {created.state.device_import_status.value}"
        )

    async def step_poll_uploaded(self) -> str:
        started = time.monotonic()
        record, unknown_answers = await self.poll_while_unknown(self.uploaded_id, UPLOADED["serial_number"])
        check_record(record, UPLOADED, "the processed record", context_allowed=True)
        check_state(record, ImportStatus.Complete, 0, "", "the processed record")
        self.device_ids[UPLOADED["serial_number"]] = record.state.device_registration_id
        return f"{unknown_answers} GETs answered unknown, then complete, after {time.monotonic() - started:.1f}s"

    async def step_device_of_uploaded(self) -> str:
        serial = UPLOADED["serial_number"]
        record = await self.record(self.uploaded_id).get()
        device = await self.check_device(record, UPLOADED, serial)
        return f"device {device.id}: serial, groupTag, productKey, userPrincipalName as uploaded, notContacted"

    async def step_import(self) -> str:
        body = ImportPostRequestBody(
            imported_windows_autopilot_device_identities=[
                ImportedWindowsAutopilotDeviceIdentity(**IMPORTED_NEW),
                ImportedWindowsAutopilotDeviceIdentity(**IMPORTED_DUPLICATE),
            ]
        )
        answer = await self.records.import_.post(body)
        check(answer is not None and answer.value is not None, f"import answered {answer!r}")
        check_no_unknown_properties(answer, "import answer", context_allowed=True)
        check_equal(len(answer.value), 2, "records in the import answer")
        new, duplicate = answer.value
        check_record(new, IMPORTED_NEW, "import answer [0]")
        check_record(duplicate, IMPORTED_DUPLICATE, "import answer [1]")
        for number, record in enumerate(answer.value):
            check_state(record, ImportStatus.Unknown, 0, "", f"import answer [{number}]")
        check_equal(duplicate.import_id, new.import_id, "the importId both records share")
        check(new.import_id not in (new.id, duplicate.id), f"importId {new.import_id} is a record's own id")
        check(new.id != duplicate.id, f"id {new.id} handed out twice")
        self.imported_new_id, self.imported_duplicate_id = new.id, duplicate.id
        self.import_id = new.import_id
        return f"2 records, both unknown, importId {self.import_id}"

    async def step_poll_import(self) -> str:
        started = time.monotonic()
        new, new_unknown = await self.poll_while_unknown(self.imported_new_id, IMPORTED_NEW["serial_number"])
        duplicate, duplicate_unknown = await self.poll_while_unknown(
            self.imported_duplicate_id, IMPORTED_DUPLICATE["serial_number"]
        )
        check_state(new, ImportStatus.Complete, 0, "", IMPORTED_NEW["serial_number"])
        device = await self.check_device(new, IMPORTED_NEW, IMPORTED_NEW["serial_number"])
        self.device_ids[IMPORTED_NEW["serial_number"]] = device.id
        what = f"{IMPORTED_DUPLICATE['serial_number']} (the serial of an existing device)"
        check_state(duplicate, ImportStatus.Error, 806, "ZtdDeviceAlreadyAssigned", what)
        check_equal(duplicate.state.device_registration_id, "", f"{what}: state.deviceRegistrationId")
        for record in (new, duplicate):
            check_equal(record.import_id, self.import_id, f"{record.serial_number}: importId after processing")
        return (
            f"{new.serial_number} complete, {duplicate.serial_number} error 806 ZtdDeviceAlreadyAssigned, "
            f"after {new_unknown + duplicate_unknown} GETs answered unknown, {time.monotonic() - started:.1f}s"
        )

    async def step_filter(self) -> str:
        query = f"contains(serialNumber,'{FILTER_TEXT}')"
        page = await self.records.get(
            RequestConfiguration(query_parameters=ListParameters(filter=query, count=True))
        )
        wanted = {self.uploaded_id: UPLOADED, self.imported_duplicate_id: IMPORTED_DUPLICATE}
        check_equal(page.odata_count, len(wanted), "@odata.count")
        check_equal(page.odata_next_link, None, "@odata.nextLink of a one-page result")
        check_equal(sorted(record.id for record in page.value), sorted(wanted), "ids matched")
        for record in page.value:
            check_record(record, wanted[record.id], f"filtered record {record.serial_number}")
        return f"$filter={query}: {len(page.value)} records, @odata.count {page.odata_count}"

    async def step_delete(self) -> str:
        deleted = {
            UPLOADED["serial_number"]: self.uploaded_id,
            IMPORTED_NEW["serial_number"]: self.imported_new_id,
            IMPORTED_DUPLICATE["serial_number"]: self.imported_duplicate_id,
        }
        for record_id in deleted.values():
            await self.record(record_id).delete()
        for serial, record_id in deleted.items():
            await self.check_gone(record_id, f"the deleted record of {serial}")
        page = await self.records.get(RequestConfiguration(query_parameters=ListParameters(count=True)))
        check_equal(page.odata_count, 0, "@odata.count of imported identities after the deletes")
        # Deleting a record never deletes the device it produced.
        for serial, device_id in self.device_ids.items():
            device = await self.device(device_id).get()
            check_equal(device.serial_number, serial, f"the device of {serial} after its record's delete")
        check_equal(await self.devices.count.get(), len(self.device_ids), "$count of devices after the deletes")
        return f"{len(deleted)} records gone (GET raises ODataError 404), their {len(self.device_ids)} devices kept"

    async def step_assign(self) -> str:
        serial = UPLOADED["serial_number"]
        device = await self.device(self.device_ids[serial]).get()
        check_equal(device.deployment_profile_assignment_status, Status.NotAssigned, f"{serial} before")
        self.kiosk_group_id = await self.group("E2E Kiosks", KIOSK_RULE)
        self.kiosk_profile_id = await self.profile("E2E Kiosk")
        await self.assign(self.kiosk_profile_id, GroupAssignmentTarget(group_id=self.kiosk_group_id))
        device = await self.wait_for_status(serial, Status.Pending)
        intended = await self.device(device.id).intended_deployment_profile.get()
        check_equal(intended.id, self.kiosk_profile_id, "intendedDeploymentProfile")
        try:
            answer = await self.device(device.id).deployment_profile.get()
        except ODataError as error:
            check_equal(error.response_status_code, 404, "deploymentProfile of a pending device: status")
        else:
            raise StepFailed(f"deploymentProfile of a pending device answered {answer!r}")
        return f"group on {KIOSK_RULE}, profile assigned to it: {serial} pending, intended profile E2E Kiosk"

    async def step_sync(self) -> str:
        settings = self.client.device_management.windows_autopilot_settings
        await settings.sync.post()
        serial = UPLOADED["serial_number"]
        device = await self.wait_for_status(serial, Status.AssignedUnkownSyncState)
        check(device.deployment_profile_assigned_date_time > NEVER_CONTACTED, "deploymentProfileAssignedDateTime")
        read = await settings.get()
        check(read.last_manual_sync_trigger_date_time is not None, "lastManualSyncTriggerDateTime")
        try:
            await settings.sync.post()
        except ODataError as error:
            check_equal(error.response_status_code, 429, "a second sync within the cooldown: status")
            retry_after = error.response_headers.get("Retry-After") if error.response_headers else None
            check(retry_after is not None and int(retry_after) > 0, f"Retry-After: {retry_after!r}")
        else:
            raise StepFailed("a second sync within the cooldown answered success")
        check(read.sync_status in (WindowsAutopilotSyncStatus.InProgress, WindowsAutopilotSyncStatus.Completed),
              f"syncStatus {read.sync_status}")
        return f"204, {serial} assignedUnkownSyncState; a second sync 429 with Retry-After {retry_after}s"

    async def step_expand(self) -> str:
        device_id = self.device_ids[UPLOADED["serial_number"]]
        config = RequestConfiguration(
            query_parameters=DeviceParameters(expand=["deploymentProfile", "intendedDeploymentProfile"])
        )
        device = await self.device(device_id).get(config)
        for name in ("deployment_profile", "intended_deployment_profile"):
            profile = getattr(device, name)
            check(isinstance(profile, AzureADWindowsAutopilotDeploymentProfile), f"$expand {name}: {profile!r}")
            check_equal(profile.display_name, "E2E Kiosk", f"$expand {name}: displayName")
        assigned = await self.profiles.by_windows_autopilot_deployment_profile_id(
            self.kiosk_profile_id
        ).assigned_devices.get()
        check_equal([d.id for d in assigned.value], [device_id], "assignedDevices")
        return "deploymentProfile and intendedDeploymentProfile inlined; assignedDevices lists the device"

    async def step_profile_operations(self) -> str:
        device_id = self.device_ids[UPLOADED["serial_number"]]
        profile = self.profiles.by_windows_autopilot_deployment_profile_id(self.kiosk_profile_id)
        check_equal(await profile.assigned_devices.count.get(), 1, "assignedDevices/$count")
        assigned = profile.assigned_devices.by_windows_autopilot_device_identity_id(device_id)
        check_equal((await assigned.get()).id, device_id, "assignedDevices/{id}")
        own = await assigned.deployment_profile.get()
        check_equal(own.id, self.kiosk_profile_id, "assignedDevices/{id}/deploymentProfile")
        await assigned.update_device_properties.post(UpdateDevicePropertiesPostRequestBody(display_name="E2E kiosk"))
        check_equal((await self.device(device_id).get()).display_name, "E2E kiosk", "displayName set through it")
        check_equal(await profile.assignments.count.get(), 1, "assignments/$count")
        assignment_id = f"{self.kiosk_profile_id}_{self.kiosk_group_id}_0"
        updated = await profile.assignments.by_windows_autopilot_deployment_profile_assignment_id(assignment_id).patch(
            WindowsAutopilotDeploymentProfileAssignment(source=DeviceAndAppManagementAssignmentSource.PolicySets)
        )
        check_equal(updated.source, DeviceAndAppManagementAssignmentSource.PolicySets, "the assignment's source")
        check_equal(type(updated.target), GroupAssignmentTarget, "the assignment's target, kept")
        links = await self.profiles.has_payload_links.post(
            HasPayloadLinksPostRequestBody(payload_ids=[self.kiosk_profile_id])
        )
        check_equal(
            [(item.payload_id, item.has_link, item.sources) for item in links.value],
            [(self.kiosk_profile_id, True, [DeviceAndAppManagementAssignmentSource.PolicySets])],
            "hasPayloadLinks",
        )
        await profile.assign.post(AssignPostRequestBody(device_ids=[]))
        settings = await self.client.device_management.windows_autopilot_settings.patch(WindowsAutopilotSettings())
        check(settings.sync_status is not None, f"PATCH windowsAutopilotSettings answered {settings!r}")
        try:
            answer = await self.record(str(uuid.uuid4())).patch(ImportedWindowsAutopilotDeviceIdentity(group_tag="x"))
        except ODataError as error:
            check_equal(error.response_status_code, 400, "PATCH of an imported identity: status")
            check_equal(error.error.code, "No method match route template", "PATCH of an imported identity: code")
        else:
            raise StepFailed(f"PATCH of an imported identity answered {answer!r}")
        return (
            "assignedDevices $count, item, deploymentProfile, updateDeviceProperties; assignments $count and "
            "PATCH; hasPayloadLinks; assign; settings PATCH; imported PATCH refused as Graph does"
        )

    async def step_group_tag_changed(self) -> str:
        serial = UPLOADED["serial_number"]
        await self.device(self.device_ids[serial]).update_device_properties.post(
            UpdateDevicePropertiesPostRequestBody(group_tag="e2e-moved")
        )
        device = await self.wait_for_status(serial, Status.NotAssigned)
        check_equal(device.group_tag, "e2e-moved", "groupTag")
        return f"{serial} to group tag e2e-moved: notAssigned"

    async def step_all_devices_and_exclusion(self) -> str:
        self.everyone_profile_id = await self.profile("E2E Everyone")
        await self.assign(self.everyone_profile_id, AllDevicesAssignmentTarget())
        for serial in self.device_ids:
            await self.wait_for_status(serial, Status.Pending)
        excluded = await self.group("E2E Excluded", None)
        serial = IMPORTED_NEW["serial_number"]
        directory = await self.client.devices.get()
        object_id = next(d.id for d in directory.value if d.display_name == serial)
        await self.client.groups.by_group_id(excluded).members.ref.post(
            ReferenceCreate(odata_id=f"{self.base_url}/beta/directoryObjects/{object_id}")
        )
        await self.assign(self.everyone_profile_id, ExclusionGroupAssignmentTarget(group_id=excluded))
        await self.wait_for_status(serial, Status.NotAssigned)
        other = UPLOADED["serial_number"]
        device = await self.device(self.device_ids[other]).get()
        check_equal(device.deployment_profile_assignment_status, Status.Pending, f"{other}, not excluded")
        return f"all devices: both pending; {serial} in the exclusion group: notAssigned"

    async def step_profile_delete(self) -> str:
        profile = self.profiles.by_windows_autopilot_deployment_profile_id(self.kiosk_profile_id)
        try:
            await profile.delete()
        except ODataError as error:
            check_equal(error.response_status_code, 400, "deleting a profile with assignments: status")
        else:
            raise StepFailed("a profile with assignments was deleted")
        assignment_id = f"{self.kiosk_profile_id}_{self.kiosk_group_id}_0"
        await profile.assignments.by_windows_autopilot_deployment_profile_assignment_id(assignment_id).delete()
        await profile.delete()
        return "400 while assigned; the assignment deleted by its computed id, then the profile"

    STEPS = (
        ("the service is reachable and empty", step_empty),
        ("upload one device (POST importedWindowsAutopilotDeviceIdentities)", step_upload),
        ("poll the record while unknown", step_poll_uploaded),
        ("get the device by state.deviceRegistrationId", step_device_of_uploaded),
        ("import two records, one with an existing serial", step_import),
        ("poll the imported records", step_poll_import),
        ("list with $filter=contains(serialNumber,...)", step_filter),
        ("delete the records, keep the devices", step_delete),
        ("assign a profile through a dynamic group on the group tag", step_assign),
        ("sync settles the assignment (POST windowsAutopilotSettings/sync)", step_sync),
        ("the profile through $expand and assignedDevices", step_expand),
        ("the operations below a profile, through the SDK's builders", step_profile_operations),
        ("change the group tag: no profile", step_group_tag_changed),
        ("all-devices assignment and an exclusion group", step_all_devices_and_exclusion),
        ("profile delete refused with assignments", step_profile_delete),
    )

    async def run(self) -> int:
        started = time.monotonic()
        # The first entity the SDK reads imports every beta model module (about 2,500; seconds),
        # longer than the service's import delay: done here, so that the steps' timings and
        # polling measure the service rather than the SDK's first read.
        ImportedWindowsAutopilotDeviceIdentity().get_field_deserializers()
        print(f"beta SDK models loaded in {time.monotonic() - started:.1f}s", flush=True)
        return await run_steps("python-beta-sdk e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
