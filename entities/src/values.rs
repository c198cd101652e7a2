//! Closed sets stored as text columns: their stored names, labels and order, nothing else.
//! Each is read from and written to the database as its lower-case name, so a row can never
//! hold a value the code does not know (reading one is an error, not a silent default).

use std::fmt;
use std::str::FromStr;

use sea_orm::DeriveValueType;
use serde::Serialize;

/// A stored name that is not one of the set's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value {:?}", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// Declares an enum stored by name: `as_str`, `Display`, `FromStr`, `ALL`.
macro_rules! named_values {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, DeriveValueType)]
        #[sea_orm(value_type = "String")]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value with this stored or submitted name.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        /// A form field holding the value's exact name. (Rocket's derive would also take
        /// "PRO" for "pro"; the forms never did.)
        #[cfg(feature = "forms")]
        impl<'v> rocket::form::FromFormField<'v> for $name {
            fn from_value(field: rocket::form::ValueField<'v>) -> rocket::form::Result<'v, Self> {
                Self::parse(field.value).ok_or_else(|| {
                    rocket::form::Error::from(rocket::form::error::ErrorKind::InvalidChoice {
                        choices: std::borrow::Cow::Borrowed(&[$(std::borrow::Cow::Borrowed($text)),+]),
                    })
                    .into()
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, UnknownValue> {
                Self::parse(text).ok_or_else(|| UnknownValue(text.to_string()))
            }
        }
    };
}

named_values!(
    /// Who a person is in their practice. Declared lowest first, so `>=` compares seniority.
    Role {
        Client => "client",
        Provider => "provider",
        Supervisor => "supervisor",
        Admin => "admin",
        Owner => "owner",
    }
);

impl Role {
    /// Every staff role, for SQL as an IN list: `role <> 'client'` has no index to read, so
    /// at 100,000 clients it read every client of the practice (49 ms on SQLite); IN reads the
    /// (practice, role) index once per role.
    pub const STAFF: [Role; 4] = [Self::Provider, Self::Supervisor, Self::Admin, Self::Owner];

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Supervisor => "Supervisor",
            Self::Provider => "Provider",
            Self::Client => "Client",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Self::Client
    }

    /// Owners and admins manage staff and see the audit log.
    pub fn is_manager(self) -> bool {
        self >= Self::Admin
    }

    /// The staff roles a form may assign (the owner is made only at sign-up).
    pub fn parse_staff_role(value: &str) -> Option<Self> {
        match Self::parse(value)? {
            role @ (Self::Admin | Self::Supervisor | Self::Provider) => Some(role),
            _ => None,
        }
    }
}

named_values!(
    /// The practice's plan: `pro` (two-factor optional) or `mobile` ("Standalone Mobile",
    /// two-factor always on).
    Plan {
        Pro => "pro",
        Mobile => "mobile",
    }
);

impl Plan {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pro => "Pro",
            Self::Mobile => "Standalone Mobile",
        }
    }
}

named_values!(
    /// A client's age group: selects the measure variant and the cut-off.
    AgeGroup {
        Adult => "adult",
        Adolescent => "adolescent",
        Child => "child",
    }
);

named_values!(
    /// A flag on an episode: on track, below expected, at risk, or not enough to say.
    Flag {
        Green => "green",
        Amber => "amber",
        Red => "red",
        Grey => "grey",
    }
);

named_values!(
    /// How a rating was recorded.
    RatingSource {
        Client => "client",
        Clinician => "clinician",
        Paper => "paper",
    }
);

named_values!(
    /// Where a session stands: `pending` (waiting on a second step, opens only
    /// `/login/verify*`), `setup` (the authenticator app must be set up, opens only
    /// `/login/setup*`), `passkey_setup` (an owner or admin must add a passkey, opens only
    /// `/login/passkey-setup*`), or `full`.
    SessionState {
        Pending => "pending",
        Setup => "setup",
        PasskeySetup => "passkey_setup",
        Full => "full",
    }
);

named_values!(
    /// One thing a person proved while signing in.
    Factor {
        Password => "password",
        Device => "device",
        Sms => "sms",
        App => "app",
        Recovery => "recovery",
        Passkey => "passkey",
        Sso => "sso",
    }
);

/// The factors of one sign-in, in the order they were passed, stored as `password+sms`.
#[derive(Debug, Clone, PartialEq, Eq, Default, DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct Factors(Vec<Factor>);

impl Factors {
    pub fn new(first: Factor) -> Self {
        Self(vec![first])
    }

    /// These factors and one more.
    #[must_use]
    pub fn and(mut self, next: Factor) -> Self {
        self.0.push(next);
        self
    }

    pub fn contains(&self, factor: Factor) -> bool {
        self.0.contains(&factor)
    }

    pub fn iter(&self) -> impl Iterator<Item = Factor> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for Factors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, factor) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(factor.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Factors {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, UnknownValue> {
        if text.is_empty() {
            return Ok(Self::default());
        }
        text.split('+')
            .map(Factor::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl Serialize for Factors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_its_own_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
        }
        assert!("Owner".parse::<Role>().is_err(), "stored names are exact");
        assert!(Role::Owner > Role::Admin && Role::Provider > Role::Client);
    }

    #[test]
    fn factors_are_stored_joined_by_plus() {
        let factors = Factors::new(Factor::Password).and(Factor::Sms);
        assert_eq!(factors.to_string(), "password+sms");
        assert_eq!("password+sms".parse::<Factors>(), Ok(factors));
        assert!("password+magic".parse::<Factors>().is_err());
    }
}
