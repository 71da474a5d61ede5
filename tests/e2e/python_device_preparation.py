"""End-to-end test: Windows Autopilot device preparation through the official Microsoft Graph beta
Python SDK (msgraph-beta-sdk) against autopilot-registry, as an admin's script sets it up.

Usage: python tests/e2e/python_device_preparation.py http://127.0.0.1:PORT

Creates the Intune Provisioning Client's service principal by its appId, a static device group it
owns, a user and a user group holding the user; creates a user-driven device preparation policy
with its settings, assigns it to the user group and sets the device group as its enrollment-time
device membership target (reading the target back); imports the device's corporate identifier.
Then the control plane enrolls that device for that user, and the SDK finds it among the device
group's members and the identifier enrolled. Every Graph call goes through the beta SDK's request
builders and models, with only its base URL changed; the enrollment is a plain HTTP POST, as the
control plane is no Graph API. The service must run with authentication off and the control plane
on, on a fresh (empty) database.

Each step prints one line; the last line is `python-device-preparation e2e: N passed, M failed`.
The first failing step stops the run and the script exits with status 1.
"""

import json
import sys
import urllib.request

from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.device_management.configuration_policies.item.assign.assign_post_request_body import (
    AssignPostRequestBody,
)
from msgraph_beta.generated.device_management.configuration_policies.item.set_enrollment_time_device_membership_target.set_enrollment_time_device_membership_target_post_request_body import (
    SetEnrollmentTimeDeviceMembershipTargetPostRequestBody,
)
from msgraph_beta.generated.device_management.imported_device_identities.import_device_identity_list.import_device_identity_list_post_request_body import (
    ImportDeviceIdentityListPostRequestBody,
)
from msgraph_beta.generated.models.device_management_configuration_choice_setting_instance import (
    DeviceManagementConfigurationChoiceSettingInstance,
)
from msgraph_beta.generated.models.device_management_configuration_choice_setting_value import (
    DeviceManagementConfigurationChoiceSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_integer_setting_value import (
    DeviceManagementConfigurationIntegerSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_platforms import (
    DeviceManagementConfigurationPlatforms,
)
from msgraph_beta.generated.models.device_management_configuration_policy import (
    DeviceManagementConfigurationPolicy,
)
from msgraph_beta.generated.models.device_management_configuration_policy_assignment import (
    DeviceManagementConfigurationPolicyAssignment,
)
from msgraph_beta.generated.models.device_management_configuration_policy_template_reference import (
    DeviceManagementConfigurationPolicyTemplateReference,
)
from msgraph_beta.generated.models.device_management_configuration_setting import (
    DeviceManagementConfigurationSetting,
)
from msgraph_beta.generated.models.device_management_configuration_simple_setting_instance import (
    DeviceManagementConfigurationSimpleSettingInstance,
)
from msgraph_beta.generated.models.device_management_configuration_string_setting_value import (
    DeviceManagementConfigurationStringSettingValue,
)
from msgraph_beta.generated.models.device_management_configuration_technologies import (
    DeviceManagementConfigurationTechnologies,
)
from msgraph_beta.generated.models.enrollment_state import EnrollmentState
from msgraph_beta.generated.models.enrollment_time_device_membership_target import (
    EnrollmentTimeDeviceMembershipTarget,
)
from msgraph_beta.generated.models.enrollment_time_device_membership_target_type import (
    EnrollmentTimeDeviceMembershipTargetType,
)
from msgraph_beta.generated.models.group import Group
from msgraph_beta.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph_beta.generated.models.imported_device_identity import ImportedDeviceIdentity
from msgraph_beta.generated.models.imported_device_identity_type import ImportedDeviceIdentityType
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.password_profile import PasswordProfile
from msgraph_beta.generated.models.reference_create import ReferenceCreate
from msgraph_beta.generated.models.service_principal import ServicePrincipal
from msgraph_beta.generated.models.user import User
from steps import check_equal, run_steps
from steps import main as steps_main

PROVISIONING_CLIENT = "f1346770-5b25-470b-88bd-d5744ab7952c"
USER_DRIVEN = "80d33118-b7b4-40d8-b15f-81be745e053f_1"
UPN = "py-dpp@contoso.example"
MANUFACTURER, MODEL, SERIAL = "Contoso", "Laptop 7", "PY-DPP-0001"
DEFAULT_TENANT = "00000000-0000-0000-0000-000000000000"


def choice(definition: str, option: int) -> DeviceManagementConfigurationSetting:
    return DeviceManagementConfigurationSetting(
        setting_instance=DeviceManagementConfigurationChoiceSettingInstance(
            setting_definition_id=definition,
            choice_setting_value=DeviceManagementConfigurationChoiceSettingValue(
                value=f"{definition}_{option}", children=[]),
        ))


def simple(definition: str, value) -> DeviceManagementConfigurationSetting:
    return DeviceManagementConfigurationSetting(
        setting_instance=DeviceManagementConfigurationSimpleSettingInstance(
            setting_definition_id=definition, simple_setting_value=value))


class E2E:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())
        adapter.base_url = self.base_url + "/beta"
        self.client = GraphServiceClient(request_adapter=adapter)
        self.ids = {}

    def reference(self, object_id: str) -> ReferenceCreate:
        return ReferenceCreate(odata_id=f"{self.base_url}/beta/directoryObjects/{object_id}")

    async def step_directory(self):
        principal = await self.client.service_principals.post(ServicePrincipal(app_id=PROVISIONING_CLIENT))
        check_equal(principal.display_name, "Intune Provisioning Client", "the service principal's name")
        devices = await self.client.groups.post(Group(
            display_name="Prepared devices", mail_nickname="prepared", mail_enabled=False,
            security_enabled=True))
        await self.client.groups.by_group_id(devices.id).owners.ref.post(self.reference(principal.id))
        user = await self.client.users.post(User(
            account_enabled=True, display_name="Device preparation user", mail_nickname="py-dpp",
            user_principal_name=UPN,
            password_profile=PasswordProfile(password="P4ssw0rd-of-the-test")))
        users = await self.client.groups.post(Group(
            display_name="Device preparation users", mail_nickname="dpp-users", mail_enabled=False,
            security_enabled=True))
        await self.client.groups.by_group_id(users.id).members.ref.post(self.reference(user.id))
        self.ids.update(devices=devices.id, users=users.id)
        return f"device group {devices.id} owned by {principal.id}, user group {users.id}"

    async def step_policy(self):
        policy = await self.client.device_management.configuration_policies.post(
            DeviceManagementConfigurationPolicy(
                name="Python device preparation", description="",
                platforms=DeviceManagementConfigurationPlatforms.Windows10,
                technologies=[DeviceManagementConfigurationTechnologies.Enrollment],
                role_scope_tag_ids=["0"],
                template_reference=DeviceManagementConfigurationPolicyTemplateReference(template_id=USER_DRIVEN),
                settings=[
                    choice("enrollment_autopilot_dpp_deploymentmode", 0),
                    choice("enrollment_autopilot_dpp_deploymenttype", 0),
                    choice("enrollment_autopilot_dpp_jointype", 0),
                    simple("enrollment_autopilot_dpp_timeout",
                           DeviceManagementConfigurationIntegerSettingValue(value=90)),
                    simple("enrollment_autopilot_dpp_customerrormessage",
                           DeviceManagementConfigurationStringSettingValue(value="Call the help desk.")),
                ]))
        check_equal(policy.setting_count, 5, "setting_count")
        check_equal(policy.template_reference.template_id, USER_DRIVEN, "the template")
        self.ids["policy"] = policy.id
        return f"policy {policy.id}"

    async def step_assign(self):
        item = self.client.device_management.configuration_policies.by_device_management_configuration_policy_id(
            self.ids["policy"])
        assigned = await item.assign.post(AssignPostRequestBody(assignments=[
            DeviceManagementConfigurationPolicyAssignment(
                target=GroupAssignmentTarget(group_id=self.ids["users"]))]))
        check_equal([a.target.group_id for a in assigned.value], [self.ids["users"]], "the assignment")
        result = await item.set_enrollment_time_device_membership_target.post(
            SetEnrollmentTimeDeviceMembershipTargetPostRequestBody(enrollment_time_device_membership_targets=[
                EnrollmentTimeDeviceMembershipTarget(
                    target_type=EnrollmentTimeDeviceMembershipTargetType.StaticSecurityGroup,
                    target_id=self.ids["devices"])]))
        check_equal(result.validation_succeeded, True, "validation_succeeded")
        kept = await item.retrieve_enrollment_time_device_membership_target.post()
        check_equal([s.target_id for s in kept.enrollment_time_device_membership_target_validation_statuses],
                    [self.ids["devices"]], "the device group read back")
        return "assigned to the user group, with the device group"

    async def step_corporate_identifier(self):
        answer = await self.client.device_management.imported_device_identities.import_device_identity_list.post(
            ImportDeviceIdentityListPostRequestBody(
                imported_device_identities=[ImportedDeviceIdentity(
                    imported_device_identifier=f"{MANUFACTURER},{MODEL},{SERIAL}",
                    imported_device_identity_type=ImportedDeviceIdentityType.ManufacturerModelSerial)],
                overwrite_imported_device_identities=False))
        check_equal([r.status for r in answer.value], [True], "the import's status")
        self.ids["identifier"] = answer.value[0].id
        return f"identifier {answer.value[0].id}"

    async def step_enroll(self):
        body = json.dumps({"manufacturer": MANUFACTURER, "model": MODEL, "serialNumber": SERIAL,
                           "userPrincipalName": UPN}).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_control/tenants/{DEFAULT_TENANT}/enrollments", data=body,
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        check_equal(answer["enrolled"], 1, "enrolled")
        check_equal(answer["devicePreparationPolicyId"], self.ids["policy"], "the policy that ran")
        members = await self.client.groups.by_group_id(self.ids["devices"]).members.get()
        check_equal(len(members.value), 1, "the device group's members")
        identifier = await self.client.device_management.imported_device_identities.by_imported_device_identity_id(
            self.ids["identifier"]).get()
        check_equal(identifier.enrollment_state, EnrollmentState.Enrolled, "the identifier's enrollment_state")
        return f"managed device {answer['managedDeviceIds'][0]} in the device group"

    STEPS = (
        ("the provisioning client, its device group, a user and a user group", step_directory),
        ("create a user-driven device preparation policy", step_policy),
        ("assign it and set its device group", step_assign),
        ("import the device's corporate identifier", step_corporate_identifier),
        ("enroll the device for the user", step_enroll),
    )

    async def run(self) -> int:
        return await run_steps("python-device-preparation e2e", self, ODataError)


def main() -> int:
    return steps_main(E2E)


if __name__ == "__main__":
    sys.exit(main())
