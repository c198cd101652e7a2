//! Ids as they arrive in paths: a staff member's id cannot be passed where a client's is meant.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(i32);

        impl $name {
            pub fn new(value: i32) -> Self {
                Self(value)
            }

            pub fn get(self) -> i32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A client's user id, from a path like `/clients/<id>`.
    ClientId
);
id_type!(
    /// A staff member's user id, from a path like `/staff/<id>`.
    StaffId
);
id_type!(
    /// A device registration's id.
    DeviceId
);
id_type!(
    /// A passkey's id.
    PasskeyId
);
