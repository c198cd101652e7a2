//! Someone an owner or admin acts on: a staff member they manage or a client they can see.
//! Only the checks (`staff::find_managed`, `clients::find`) make one, so a use case that takes
//! a `CheckedPerson` cannot be called on an unchecked id.

use entities::user;

use super::clients::VisibleClient;
use super::staff::ManagedStaff;

/// A person whose scoping check passed for the acting owner or admin.
pub trait CheckedPerson: sealed::Sealed + Sync {
    fn person(&self) -> &user::Model;
}

impl CheckedPerson for ManagedStaff {
    fn person(&self) -> &user::Model {
        self.model()
    }
}

impl CheckedPerson for VisibleClient {
    fn person(&self) -> &user::Model {
        self.model()
    }
}

mod sealed {
    /// SECURITY: only the two capability types may be a `CheckedPerson`.
    pub trait Sealed {}

    impl Sealed for super::ManagedStaff {}
    impl Sealed for super::VisibleClient {}
}
