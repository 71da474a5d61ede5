"""End-to-end test: an Enrollment Status Page through the official Microsoft Graph beta Python SDK
(msgraph-beta-sdk) against autopilot-registry, as configuration-as-code tools write one.

Usage: python tests/e2e/python_beta_sdk_esp.py http://127.0.0.1:PORT

A fresh tenant lists Intune's four default enrollment configurations; an app record is created in
deviceAppManagement/mobileApps; an ESP that blocks on it is created, assigned to a group with
`assign` (an assignment filter included), moved with `setPriority`, and read back with
`$expand=assignments`; the default ESP refuses to be deleted. Every call goes through the beta SDK's
own request builders and models, with only its base URL changed. The service must be on a fresh
(empty) database. Each step prints one line; the last is `python-beta-sdk-esp e2e: N passed, M
failed`, and the first failing step stops the run.
"""

import sys
import time
import uuid

from steps import StepFailed, check, check_equal, run_steps
from steps import main as steps_main
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.device_enrollment_configurations.item.assign.assign_post_request_body import (
    AssignPostRequestBody,
)
from msgraph_beta.generated.device_management.device_enrollment_configurations.item.device_enrollment_configuration_item_request_builder import (
    DeviceEnrollmentConfigurationItemRequestBuilder,
)
from msgraph_beta.generated.device_management.device_enrollment_configurations.item.set_priority.set_priority_post_request_body import (
    SetPriorityPostRequestBody,
)
from msgraph_beta.generated.models.device_and_app_management_assignment_filter import (
    DeviceAndAppManagementAssignmentFilter,
)
from msgraph_beta.generated.models.device_and_app_management_assignment_filter_type import (
    DeviceAndAppManagementAssignmentFilterType,
)
from msgraph_beta.generated.models.device_platform_type import DevicePlatformType
from msgraph_beta.generated.models.enrollment_configuration_assignment import EnrollmentConfigurationAssignment
from msgraph_beta.generated.models.group import Group
from msgraph_beta.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.win32_lob_app import Win32LobApp
from msgraph_beta.generated.models.windows10_enrollment_completion_page_configuration import (
    Windows10EnrollmentCompletionPageConfiguration,
)

ItemParameters = DeviceEnrollmentConfigurationItemRequestBuilder.DeviceEnrollmentConfigurationItemRequestBuilderGetQueryParameters
DEFAULT_NAME = "All users and all devices"


def check_no_unknown_properties(model, what: str) -> None:
    """Properties the SDK's model does not know land in additional_data."""
    unknown = set(model.additional_data) - {"@odata.context"}
    check(not unknown, f"{what}: properties the SDK does not know: {sorted(unknown)}")


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = f"{base_url}/beta"
        self.client = GraphServiceClient(request_adapter=adapter)
        self.configurations = self.client.device_management.device_enrollment_configurations
        self.default_esp_id = ""
        self.app_id = ""
        self.group_id = ""
        self.esp_ids: list[str] = []
        self.filter_id = ""

    def configuration(self, configuration_id: str):
        return self.configurations.by_device_enrollment_configuration_id(configuration_id)

    async def step_defaults(self):
        page = await self.configurations.get()
        check_equal(len(page.value), 4, "the new tenant's configurations")
        for configuration in page.value:
            check_equal(configuration.priority, 0, f"{configuration.odata_type}'s priority")
            check_equal(configuration.display_name, DEFAULT_NAME, f"{configuration.odata_type}'s name")
            check_no_unknown_properties(configuration, configuration.odata_type)
        esps = [c for c in page.value if isinstance(c, Windows10EnrollmentCompletionPageConfiguration)]
        check_equal(len(esps), 1, "default ESPs")
        self.default_esp_id = esps[0].id
        return f"{sorted(c.odata_type for c in page.value)}"

    async def step_app(self):
        app = await self.client.device_app_management.mobile_apps.post(
            Win32LobApp(display_name="Company Portal", publisher="Contoso", install_command_line="setup.exe /q")
        )
        check(isinstance(app, Win32LobApp), f"not a win32LobApp: {app!r}")
        check(app.created_date_time is not None, "the app has a createdDateTime")
        check_no_unknown_properties(app, "the app")
        self.app_id = app.id
        return f"win32LobApp {app.id}"

    async def step_create(self):
        for name in ("Everyone else", "Kiosks"):
            esp = await self.configurations.post(
                Windows10EnrollmentCompletionPageConfiguration(
                    display_name=name,
                    show_installation_progress=True,
                    install_progress_timeout_in_minutes=60,
                    selected_mobile_app_ids=[self.app_id],
                )
            )
            check(isinstance(esp, Windows10EnrollmentCompletionPageConfiguration), f"not an ESP: {esp!r}")
            check_equal(esp.selected_mobile_app_ids, [self.app_id], f"{name}: selectedMobileAppIds")
            check_equal(esp.priority, len(self.esp_ids) + 1, f"{name}: priority")
            self.esp_ids.append(esp.id)
        try:
            await self.configurations.post(
                Windows10EnrollmentCompletionPageConfiguration(
                    display_name="Unknown app", selected_mobile_app_ids=[str(uuid.uuid4())]
                )
            )
        except ODataError as error:
            check_equal(error.response_status_code, 400, "an unknown app's status")
        else:
            raise StepFailed("an ESP naming an unknown app was created")
        return "priorities 1 and 2; an unknown app refused with 400"

    async def step_assign(self):
        group = await self.client.groups.post(
            Group(display_name="Kiosks", mail_nickname="kiosks", mail_enabled=False, security_enabled=True)
        )
        self.group_id = group.id
        # An assignment names a filter of the tenant, as Intune requires.
        assignment_filter = await self.client.device_management.assignment_filters.post(
            DeviceAndAppManagementAssignmentFilter(
                display_name="Corporate only",
                platform=DevicePlatformType.Windows10AndLater,
                rule='(device.deviceOwnership -eq "Corporate")',
            )
        )
        self.filter_id = assignment_filter.id
        target = GroupAssignmentTarget(
            group_id=group.id,
            device_and_app_management_assignment_filter_id=self.filter_id,
            device_and_app_management_assignment_filter_type=DeviceAndAppManagementAssignmentFilterType.Include,
        )
        await self.configuration(self.esp_ids[1]).assign.post(
            AssignPostRequestBody(enrollment_configuration_assignments=[EnrollmentConfigurationAssignment(target=target)])
        )
        return f"assigned to group {group.id} with an include filter"

    async def step_set_priority(self):
        await self.configuration(self.esp_ids[1]).set_priority.post(SetPriorityPostRequestBody(priority=1))
        first = await self.configuration(self.esp_ids[0]).get()
        check_equal(first.priority, 2, "the other ESP's priority")
        return "Kiosks at 1, Everyone else at 2"

    async def step_read(self):
        config = RequestConfiguration(query_parameters=ItemParameters(expand=["assignments"]))
        esp = await self.configuration(self.esp_ids[1]).get(request_configuration=config)
        check(isinstance(esp, Windows10EnrollmentCompletionPageConfiguration), f"not an ESP: {esp!r}")
        check_equal(esp.priority, 1, "priority")
        check_equal(len(esp.assignments or []), 1, "assignments")
        target = esp.assignments[0].target
        check(isinstance(target, GroupAssignmentTarget), f"not a group target: {target!r}")
        check_equal(target.group_id, self.group_id, "the target's groupId")
        check_equal(target.device_and_app_management_assignment_filter_id, self.filter_id, "the filter id")
        check_equal(
            target.device_and_app_management_assignment_filter_type,
            DeviceAndAppManagementAssignmentFilterType.Include,
            "the filter type",
        )
        check_no_unknown_properties(esp, "the ESP")
        listed = await self.configuration(self.esp_ids[1]).assignments.get()
        check_equal([a.id for a in listed.value], [esp.assignments[0].id], "the assignments navigation")
        return f"assignment {esp.assignments[0].id}"

    async def step_default_kept(self):
        try:
            await self.configuration(self.default_esp_id).delete()
        except ODataError as error:
            check_equal(error.response_status_code, 400, "deleting the default")
        else:
            raise StepFailed("the default ESP was deleted")
        await self.configuration(self.esp_ids[0]).delete()
        page = await self.configurations.get()
        check_equal(len(page.value), 5, "the defaults and the remaining ESP")
        return "the default refused with 400; an ESP deleted"

    STEPS = (
        ("a new tenant lists Intune's four defaults", step_defaults),
        ("create a Win32 app record (POST mobileApps)", step_app),
        ("create two ESPs blocking on it, next free priorities", step_create),
        ("assign an ESP to a group with a filter (assign)", step_assign),
        ("move it to the top (setPriority)", step_set_priority),
        ("read it back with $expand=assignments", step_read),
        ("the default cannot be deleted", step_default_kept),
    )

    async def run(self) -> int:
        started = time.monotonic()
        Windows10EnrollmentCompletionPageConfiguration().get_field_deserializers()
        print(f"beta SDK models loaded in {time.monotonic() - started:.1f}s", flush=True)
        return await run_steps("python-beta-sdk-esp e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
