//! Who is asking: passwords, sessions and their guards, CSRF, throttling, tokens.

pub mod api;
pub mod csrf;
pub mod device;
pub mod guards;
pub mod password;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use csrf::{CsrfChecked, CsrfForm, CsrfHeader, CsrfToken, read_checked as read_checked_pairs};
pub use guards::{
    ClientUser, CurrentUser, ManagerUser, MaybeSignedIn, OwnerUser, PendingLogin, RequestMeta, StaffUser,
};
