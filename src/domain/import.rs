//! How an imported identity is processed (workflows spec section 1): the outcome table, checked in
//! its order.

/// Where a serial number is already a device identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialOwner {
    Nobody,
    ThisTenant,
    OtherTenant,
}

/// What processing makes of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A device identity is created from the record.
    Complete,
    Error {
        code: i32,
        name: &'static str,
    },
}

impl ImportOutcome {
    /// The record's `deviceImportStatus` once processed.
    pub fn status(self) -> &'static str {
        match self {
            ImportOutcome::Complete => "complete",
            ImportOutcome::Error { .. } => "error",
        }
    }

    /// `deviceErrorCode` and `deviceErrorName`: 0 and empty when complete.
    pub fn error_code_and_name(self) -> (i32, &'static str) {
        match self {
            ImportOutcome::Complete => (0, ""),
            ImportOutcome::Error { code, name } => (code, name),
        }
    }
}

pub const MISSING_SERIAL_AND_PRODUCT_KEY: ImportOutcome = ImportOutcome::Error {
    code: 803,
    name: "MissingZtdSerialNumberAndProductKey",
};
pub const INVALID_HARDWARE_HASH: ImportOutcome = ImportOutcome::Error {
    code: 802,
    name: "InvalidZtdHardwareHash",
};
pub const ALREADY_ASSIGNED: ImportOutcome = ImportOutcome::Error {
    code: 806,
    name: "ZtdDeviceAlreadyAssigned",
};
pub const ASSIGNED_TO_OTHER_TENANT: ImportOutcome = ImportOutcome::Error {
    code: 808,
    name: "ZtdDeviceAssignedToOtherTenant",
};

/// What an import error code means and what to do about it, for people reading the records; none
/// for a code processing never writes.
pub fn error_explanation(code: i32) -> Option<&'static str> {
    let explained = [
        (
            MISSING_SERIAL_AND_PRODUCT_KEY,
            "The row has no serial number (a device identity is keyed by it): add the \
             Device Serial Number.",
        ),
        (
            INVALID_HARDWARE_HASH,
            "The row has no hardware hash: collect it again with Get-WindowsAutopilotInfo.",
        ),
        (
            ALREADY_ASSIGNED,
            "This tenant already has a device with that serial number: delete it first to \
             register the device again.",
        ),
        (
            ASSIGNED_TO_OTHER_TENANT,
            "Another tenant has registered that serial number: it must deregister the device \
             first.",
        ),
    ];
    explained
        .into_iter()
        .find(|(outcome, _)| outcome.error_code_and_name().0 == code)
        .map(|(_, explanation)| explanation)
}

/// The record as processing sees it.
pub struct ImportRecord<'a> {
    pub serial_number: Option<&'a str>,
    pub product_key: Option<&'a str>,
    pub hardware_identifier: Option<&'a [u8]>,
}

impl ImportRecord<'_> {
    /// The outcome for this record, given who already owns its serial number. A device identity is
    /// keyed by its serial number, so a record with a product key but no serial cannot become one:
    /// it fails as one with neither.
    pub fn outcome(&self, owner: SerialOwner) -> ImportOutcome {
        let given = |text: Option<&str>| text.is_some_and(|t| !t.trim().is_empty());
        if !given(self.serial_number) {
            return MISSING_SERIAL_AND_PRODUCT_KEY;
        }
        if self.hardware_identifier.is_none_or(<[u8]>::is_empty) {
            return INVALID_HARDWARE_HASH;
        }
        match owner {
            SerialOwner::Nobody => ImportOutcome::Complete,
            SerialOwner::ThisTenant => ALREADY_ASSIGNED,
            SerialOwner::OtherTenant => ASSIGNED_TO_OTHER_TENANT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(
        serial: Option<&'a str>,
        key: Option<&'a str>,
        hash: Option<&'a [u8]>,
    ) -> ImportRecord<'a> {
        ImportRecord {
            serial_number: serial,
            product_key: key,
            hardware_identifier: hash,
        }
    }

    #[test]
    fn every_error_processing_writes_is_explained() {
        for outcome in [
            MISSING_SERIAL_AND_PRODUCT_KEY,
            INVALID_HARDWARE_HASH,
            ALREADY_ASSIGNED,
            ASSIGNED_TO_OTHER_TENANT,
        ] {
            assert!(error_explanation(outcome.error_code_and_name().0).is_some());
        }
        assert_eq!(error_explanation(0), None);
    }

    #[test]
    fn outcomes_are_checked_in_the_spec_order() {
        let hash: &[u8] = b"hash";
        let nobody = SerialOwner::Nobody;
        assert_eq!(
            record(None, None, None).outcome(nobody),
            MISSING_SERIAL_AND_PRODUCT_KEY
        );
        assert_eq!(
            record(Some(" "), Some(""), Some(hash)).outcome(nobody),
            MISSING_SERIAL_AND_PRODUCT_KEY
        );
        assert_eq!(
            record(None, Some("KEY"), Some(hash)).outcome(nobody),
            MISSING_SERIAL_AND_PRODUCT_KEY
        );
        assert_eq!(
            record(Some("S"), None, None).outcome(nobody),
            INVALID_HARDWARE_HASH
        );
        assert_eq!(
            record(Some("S"), None, Some(b"")).outcome(nobody),
            INVALID_HARDWARE_HASH
        );
        // The hash is checked before the owner.
        assert_eq!(
            record(Some("S"), None, None).outcome(SerialOwner::ThisTenant),
            INVALID_HARDWARE_HASH
        );
        assert_eq!(
            record(Some("S"), None, Some(hash)).outcome(SerialOwner::ThisTenant),
            ALREADY_ASSIGNED
        );
        assert_eq!(
            record(Some("S"), None, Some(hash)).outcome(SerialOwner::OtherTenant),
            ASSIGNED_TO_OTHER_TENANT
        );
        assert_eq!(
            record(Some("S"), None, Some(hash)).outcome(nobody),
            ImportOutcome::Complete
        );
    }
}
